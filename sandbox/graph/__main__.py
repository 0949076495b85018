"""`python -m sandbox.graph --port P`: run the simulator in the foreground for manual or demo use."""

from __future__ import annotations

import argparse
import contextlib

from sandbox.graph.constants import SANDBOX_GRAPH_TOKEN
from sandbox.graph.simulator import GraphSimulator


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox.graph", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="0 = a free port")
    parser.add_argument("--users", type=int, default=0)
    parser.add_argument("--groups", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--page-size", type=int, default=100)
    args = parser.parse_args(argv)

    sim = GraphSimulator(page_size=args.page_size, port=args.port)
    if args.users or args.groups:
        sim.tenant.seed(args.users, args.groups, seed=args.seed)
    print(sim.url, flush=True)
    print(f"Graph base URL: {sim.base_url}  bearer token: {SANDBOX_GRAPH_TOKEN}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        sim.serve_forever()


if __name__ == "__main__":
    main()

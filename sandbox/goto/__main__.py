"""`python -m sandbox.goto --port P [--rate N]`: the simulator in the foreground, for demos."""

from __future__ import annotations

import argparse
import contextlib

from sandbox.goto.constants import SANDBOX_CLIENT_ID, SANDBOX_GOTO_TOKEN
from sandbox.goto.simulator import GoToSimulator


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox.goto", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="listen port (default: a free one)")
    parser.add_argument("--rate", type=float, default=10.0, help="requests per second (default 10)")
    parser.add_argument("--domain", action="append", help="verified domain (repeatable; default contoso.com)")
    args = parser.parse_args(argv)
    options = {"verified_domains": args.domain} if args.domain else {}
    simulator = GoToSimulator(rate_limit_per_second=args.rate, host=args.host, port=args.port, **options)
    print(simulator.url, flush=True)
    print(f"  SCIM:  {simulator.scim_base_url}  (Bearer {SANDBOX_GOTO_TOKEN})", flush=True)
    print(f"  OAuth: {simulator.authorize_url} (client {SANDBOX_CLIENT_ID})", flush=True)
    print(f"  Token: {simulator.token_url}", flush=True)
    print(f"  Control: {simulator.control_url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        simulator.serve_forever()


if __name__ == "__main__":
    main()

"""`python -m bench.http_client`: the GoTo client's CPU per request, httpx's default transport beside
provisioning/target/transport.py, against a loopback HTTP/1.1 server in a child process (so only the
client's CPU is counted: time.process_time of this process).

Each run sends `--requests` SCIM-sized POSTs through one httpx.AsyncClient with `--concurrency` in
flight (the variants take turns, `--rounds` times, medians printed: the machine is shared); the
server answers each after `--latency` seconds (the connections sit in the pool as they
would against GoTo), with a 201 and a small JSON body, keeping the connection alive.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import httpx

from provisioning.target.transport import AsyncioTransport, client_transport

BODY = json.dumps(
    {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "someone@example.com",
        "name": {"givenName": "Some", "familyName": "One"},
        "emails": [{"type": "work", "value": "someone@example.com", "primary": True}],
        "active": True,
    }
).encode()
ANSWER = json.dumps({"id": "0" * 32, "userName": "someone@example.com", "active": True}).encode()


async def _serve(latency: float) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                if latency:
                    await asyncio.sleep(latency)
                writer.write(
                    b"HTTP/1.1 201 Created\r\nContent-Type: application/scim+json\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (len(ANSWER), ANSWER)
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(port, flush=True)
    async with server:
        await server.serve_forever()


async def _measure(
    url: str, transport: Callable[[], httpx.AsyncBaseTransport | None], requests: int, concurrency: int
) -> tuple[float, float]:
    """(CPU µs per request, requests per second of wall time)."""
    made = transport()
    async with httpx.AsyncClient(base_url=url, transport=made, timeout=httpx.Timeout(30.0)) as client:
        await asyncio.gather(*(client.post("Users", content=BODY) for _ in range(concurrency)))  # warm
        queue = iter(range(requests))

        async def worker() -> None:
            for _ in queue:
                response = await client.post("Users", content=BODY)
                assert response.status_code == 201, response.status_code

        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return cpu / requests * 1e6, requests / wall


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.http_client", description=__doc__)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--latency", type=float, default=0.02, help="the server's delay per answer (s)")
    parser.add_argument("--max-connections", type=int, default=100, help="httpx.Limits.max_connections")
    parser.add_argument("--rounds", type=int, default=3, help="variants run in turn this often; medians")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        asyncio.run(_serve(args.latency))
        return

    server = subprocess.Popen(  # noqa: S603 - this interpreter, this module
        [sys.executable, "-m", "bench.http_client", "--serve", "--latency", str(args.latency)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = f"http://127.0.0.1:{int(server.stdout.readline())}/scim/"
        limits = httpx.Limits(max_connections=args.max_connections, max_keepalive_connections=20)
        variants: list[tuple[str, Callable[[], httpx.AsyncBaseTransport | None]]] = [
            ("httpx default transport (anyio)", lambda: httpx.AsyncHTTPTransport(limits=limits)),
            ("AsyncioTransport", lambda: AsyncioTransport(limits=limits)),
            (
                "client_transport (as the app builds it)",
                functools.partial(client_transport, url, max_in_flight=args.concurrency),
            ),
        ]
        print(
            f"{args.requests} POSTs, {args.concurrency} in flight, server latency {args.latency * 1000:g} ms;"
            f" median of {args.rounds} rounds, variants in turn"
        )
        results: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in variants}
        for _ in range(args.rounds):
            for name, transport in variants:
                results[name].append(asyncio.run(_measure(url, transport, args.requests, args.concurrency)))
        for name, figures in results.items():
            cpu_us = statistics.median(cpu for cpu, _ in figures)
            rate = statistics.median(rate for _, rate in figures)
            print(f"  {name:38s} {cpu_us:7.0f} µs CPU per request  {rate:7.0f} req/s")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()

"""`make bench`: every benchmark script, one after the other, printing its figures."""

from __future__ import annotations

from bench import cycle


def main() -> None:
    cycle.main()


if __name__ == "__main__":
    main()

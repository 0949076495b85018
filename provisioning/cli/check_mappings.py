"""`python -m provisioning check-mappings [FILE]`: check a mapping file before it is deployed.

Needs no other setting. FILE defaults to MAPPINGS_FILE, else the built-in default. Exit 0 with one
`ok: …` line; exit 2 with every problem on stderr, one per line, its path in the file first.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from typing import TextIO

from provisioning.mapping.file import SETTING, MappingFileError, load_mappings


def add_check_mappings_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file", nargs="?", help=f"a .yaml, .yml or .json mapping file (default: {SETTING}, else the built-in)"
    )


def run_check_mappings(args: argparse.Namespace) -> int:
    return check_mappings(args.file)


def check_mappings(
    file: str | None,
    *,
    environ: Mapping[str, str] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Load and check the file; print `ok: …` (0) or each problem (2)."""
    env = os.environ if environ is None else environ
    out, err = out or sys.stdout, err or sys.stderr
    try:
        mapping = load_mappings(file or env.get(SETTING))
    except MappingFileError as exc:
        for problem in exc.errors:
            print(problem.render(), file=err)
        return 2
    print(f"ok: {mapping.summary()}", file=out)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m provisioning check-mappings", description=__doc__)
    add_check_mappings_arguments(parser)
    return run_check_mappings(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())

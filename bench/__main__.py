"""``python -m bench``: run the benchmarks on a fresh PostgreSQL database, print issue 12's table
(the figures before the work beside this run's, the goal and whether it is met) and write the
results as JSON and CSV to ``bench/results/`` (``latest.json``/``latest.csv``: the headlines).

Each benchmark times Marlin doing a real job and the raw database doing the least equivalent
work on the same run, and reports the ratio, so a result means the same on a faster machine.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from bench import harness


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", nargs="*", help="run only these benchmarks", choices=harness.NAMES)
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"), help="results folder")
    args = parser.parse_args()
    base_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/marlin")
    broker = os.environ.get("TEST_BROKER_URL", "redis://127.0.0.1:6379/15")
    run = harness.run(base_url=base_url, broker_url=broker, only=args.only, quick=args.quick)
    paths = harness.write(run, Path(args.out))
    harness.print_table(run)
    print("\nwrote " + ", ".join(str(path) for path in paths))
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())

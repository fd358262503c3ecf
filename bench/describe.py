"""The built-in interpreter on the evaluation sets: the share right per field, set by set.

    uv run python bench/describe.py [--set tuning|held-out] [--misses]

Reads choreography/describe/eval/phrasings.jsonl (the tuning set the interpreter was written
against) and choreography/describe/eval/heldout.jsonl (written before reading the interpreter,
never tuned on); each holds its own small catalog, then phrasings in English and Spanish with
their expected reading. Prints, per set and per field, how many were right. ``--misses`` lists
every wrong field. The exit code is 1 when a field of a reported set is under ``--bar`` (0.95).
Needs no database, no network and no model.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from choreography.describe.evaluation import FIELDS, SETS, evaluate  # noqa: E402
from choreography.describe.interpreter import interpret  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bar", type=float, default=0.95)
    parser.add_argument("--set", choices=sorted(SETS), action="append", dest="sets")
    parser.add_argument("--misses", action="store_true")
    args = parser.parse_args()
    passed = True
    for name in args.sets or list(SETS):
        started = time.perf_counter()
        score = evaluate(interpret, SETS[name])
        elapsed = time.perf_counter() - started
        print(
            f"{name} set ({SETS[name].name}): {score.total} phrasings, "
            f"{elapsed * 1000 / max(score.total, 1):.1f} ms each, "
            f"{score.overall():.1%} of all fields"
        )
        for field in FIELDS:
            print(f"  {field:<13} {score.right[field]:>4}/{score.total}  {score.share(field):6.1%}")
        if args.misses:
            for text, field, expected, got in score.misses:
                print(f"  miss {field}: {text!r}: expected {expected!r}, got {got!r}")
        passed = passed and all(score.share(field) >= args.bar for field in FIELDS)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())

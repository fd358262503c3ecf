"""The built-in interpreter on the evaluation set: the share right per field.

    uv run python bench/describe.py [--misses]

Reads choreography/describe/eval/phrasings.jsonl (its own small catalog, then phrasings in
English and Spanish with their expected reading), interprets each one and prints, per field,
how many were right. ``--misses`` lists every wrong field. The exit code is 1 when a field is
under ``--bar`` (0.95). Needs no database, no network and no model.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from choreography.describe.evaluation import FIELDS, evaluate  # noqa: E402
from choreography.describe.interpreter import interpret  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bar", type=float, default=0.95)
    parser.add_argument("--misses", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    score = evaluate(interpret)
    elapsed = time.perf_counter() - started
    print(f"{score.total} phrasings, {elapsed * 1000 / max(score.total, 1):.1f} ms each")
    for name in FIELDS:
        print(f"  {name:<13} {score.right[name]:>4}/{score.total}  {score.share(name):6.1%}")
    if args.misses:
        for text, name, expected, got in score.misses:
            print(f"  miss {name}: {text!r}: expected {expected!r}, got {got!r}")
    return 0 if all(score.share(name) >= args.bar for name in FIELDS) else 1


if __name__ == "__main__":
    sys.exit(main())

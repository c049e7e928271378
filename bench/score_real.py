"""Scores of the recap extractor on the real-world set (tests/extraction/real/).

Run: python bench/score_real.py [--half dev|heldout|both] [--misses] [--heldout-rows]

Prints action-item, decision and open-question matches for each half: per document for
the dev half (with --misses, what was missed and what was extra), totals only for the
held-out half unless --heldout-rows asks for its rows. Held-out misses are never printed:
tune on dev only. How items are matched: tests/extraction/real_scores.py.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.extraction.real_scores import HALVES, report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--half", choices=("dev", "heldout", "both"), default="both")
    parser.add_argument("--misses", action="store_true", help="list the dev half's misses")
    parser.add_argument("--heldout-rows", action="store_true", help="held-out rows too")
    args = parser.parse_args()
    halves = HALVES if args.half == "both" else (args.half,)
    report(halves, heldout_rows=args.heldout_rows, misses=args.misses)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

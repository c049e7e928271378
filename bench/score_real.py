"""Scores of the recap extractor on the real-world set (tests/extraction/real/).

Run: python bench/score_real.py [--half dev|heldout|both] [--misses] [--heldout-rows]
                               [--known-lines]

Prints action-item, decision and open-question matches for each half: per document for
the dev half (with --misses, what was missed and what was extra), totals only for the
held-out half unless --heldout-rows asks for its rows. Held-out misses are never printed:
tune on dev only. How items are matched: tests/extraction/real_scores.py. --known-lines
prints the line ceiling instead: the scores when the extractor is told which lines hold a
labelled action item, which separates finding the lines from reading owners and dates.
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
    parser.add_argument(
        "--known-lines",
        action="store_true",
        help="the line ceiling: tell the extractor which lines hold an action item",
    )
    args = parser.parse_args()
    halves = HALVES if args.half == "both" else (args.half,)
    report(halves, heldout_rows=args.heldout_rows, misses=args.misses, known_lines=args.known_lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

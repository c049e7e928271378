"""Reproduce the random draw that split the real-world set into dev/ and heldout/.

Run: python tests/extraction/real/draw_halves.py
Prints each half with its documents. The draw is recorded in README.md; this script only
shows how it was made. Adding documents changes the draw, so new documents are placed by
hand (see README.md), never by re-running this over the whole set.
"""

from __future__ import annotations

import json
import random
import sys
from collections import defaultdict
from pathlib import Path


def draw(root: Path, seed: int = 16) -> dict[str, list[str]]:
    by_community: dict[str, list[str]] = defaultdict(list)
    for path in sorted(root.rglob("*.json")):
        community = json.loads(path.read_text(encoding="utf-8"))["community"]
        by_community[community].append(path.stem)
    rng = random.Random(seed)
    halves: dict[str, list[str]] = {"dev": [], "heldout": []}
    for community in sorted(by_community):
        names = sorted(by_community[community])
        rng.shuffle(names)
        # A community's first document goes to the smaller half (a coin decides a tie) and
        # the next ones alternate, so a community with several documents is in both halves.
        side = min(halves, key=lambda half: (len(halves[half]), rng.random()))
        for name in names:
            halves[side].append(name)
            side = "heldout" if side == "dev" else "dev"
    return {half: sorted(names) for half, names in halves.items()}


if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent
    for half, names in draw(root).items():
        print(f"{half} ({len(names)}):")
        for name in names:
            print(f"  {name}")

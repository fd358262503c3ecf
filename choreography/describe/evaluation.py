"""Score an interpreter on an evaluation set: the share right per field.

Two sets share one format: eval/phrasings.jsonl, the tuning set the interpreter was written
against, and eval/heldout.jsonl, written before reading the interpreter and never tuned on
(its expectations change only when they contradict the vocabulary). Each set's first line is its own small catalog (so the expected songs never depend on a demo
library's state); every other line is ``{"text", "expect": {"song", "difficulty",
"energy_level", "style", "section"}}``, ``song`` a title, ``section`` the start/end/duration
fields that must be set (``{}``: the whole song). Used by bench/describe.py and the tests.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from choreography.describe.interpretation import CatalogSong, Interpretation, NotUnderstood

EVAL_SET = Path(__file__).parent / "eval" / "phrasings.jsonl"
HELDOUT_SET = Path(__file__).parent / "eval" / "heldout.jsonl"
SETS = {"tuning": EVAL_SET, "held-out": HELDOUT_SET}
"""The evaluation sets by name, as the bench reports them."""
FIELDS = ("song", "difficulty", "energy_level", "style", "section")


@dataclass
class Score:
    total: int = 0
    right: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    misses: list[tuple[str, str, object, object]] = field(default_factory=list)

    def share(self, name: str) -> float:
        return self.right[name] / self.total if self.total else 0.0

    def overall(self) -> float:
        """The share of all fields right, every field of every phrasing counted once."""
        cells = self.total * len(FIELDS)
        return sum(self.right.values()) / cells if cells else 0.0


def load(path: Path = EVAL_SET) -> tuple[list[CatalogSong], list[dict]]:
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    catalog = [CatalogSong(**song) for song in lines[0]["catalog"]]
    return catalog, lines[1:]


def observed(reading: Interpretation | None) -> dict:
    if reading is None:
        return dict.fromkeys(FIELDS)
    return {
        "song": reading.song.title,
        "difficulty": reading.difficulty.value,
        "energy_level": reading.energy_level.value,
        "style": reading.style.value,
        "section": reading.section_fields(),
    }


def evaluate(
    interpret: Callable[[str, list[CatalogSong]], Interpretation], path: Path = EVAL_SET
) -> Score:
    catalog, cases = load(path)
    score = Score()
    for case in cases:
        try:
            got = observed(interpret(case["text"], catalog))
        except NotUnderstood:
            got = observed(None)
        score.total += 1
        for name in FIELDS:
            if got[name] == case["expect"][name]:
                score.right[name] += 1
            else:
                score.misses.append((case["text"], name, case["expect"][name], got[name]))
    return score

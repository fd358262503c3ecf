"""The demo library's moves: which figure, seen from where, at what level, energy, style and tempo.

Pure data. Each of the 48 moves is a figure (choreography.library.figures) seen from one of four
camera views (front, three-quarter from either side, side), so a basic shows its side steps
from the front, the forward-back basic and the dip show their depth from the side, and a turn
shows her rotating under the raised hand from three-quarter. Every level has 16 moves at one
tempo (beginner 120, intermediate 128, advanced 136 BPM: each in tempo with one or two demo
songs, and re-timed to the others by tempo variants), 5 or 6 per energy level, with the four
styles spread among them: so a request with the default parameters never widens a filter on a
demo song (tests/library/test_demo_plans.py checks it through the real planner).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from choreography.music.catalog import ClipMetadata
from choreography.music.vocabulary import Difficulty, EnergyLevel, MoveRole, Style

VIEWS: dict[str, float] = {
    "front": 0.0,
    "three-quarter": math.radians(40),
    "three-quarter-left": math.radians(-40),
    "side": math.radians(60),
}
"""Camera yaw of each view, radians (positive: the camera moves round to the leader's side)."""

MARKED_FIGURES = frozenset(
    {"basic-step", "open-basic", "forward-back-basic", "box-step", "shadow-position"}
)
"""Figures whose clips show footprints where the feet land (the basics and the box)."""

LEVEL_TEMPO = {
    Difficulty.BEGINNER: 120.0,
    Difficulty.INTERMEDIATE: 128.0,
    Difficulty.ADVANCED: 136.0,
}

LOOK_AT: dict[str, str] = {
    "basic-step": "both step side, together, side and tap on 4 and 8, on the floor marks",
    "open-basic": "the basic in open hold: one pair of hands joined (gold) between them",
    "forward-back-basic": "the basic forward and back: the depth shows best from the side",
    "box-step": "a square on the floor: side, together, side, tap, then forward and across",
    "cross-body-lead": "he steps out of her line; she crosses in front and they swap places",
    "outside-turn": "his lead hand (gold) raised over her; she turns away from him on 5-7",
    "inside-turn": "his lead hand raised; she turns towards him on 5-7, travelling a little",
    "body-wave": "a ripple from hips to chest to head, twice each half of the eight",
    "shadow-position": "she in front, both facing the same way, his hands on her hips",
    "double-turn": "two turns: one on 5-7 of the first eight, two on the second",
    "hammerlock": "she turns in; her right hand is wrapped behind her back in his",
    "dip": "a basic, then he lunges and lowers her back on 5-7 and brings her up on 8",
    "welcome": "they walk in, bow and curtsy, and take the closed hold",
    "final-pose": "a basic, she spins out to his side, both open their arms",
}
"""What a dancer should look at in each figure (the README's table, the contact sheet)."""


@dataclass(frozen=True)
class DemoMove:
    figure: str
    view: str
    difficulty: str
    energy_level: str
    style: str

    @property
    def name(self) -> str:
        return self.figure if self.view == "front" else f"{self.figure}-{self.view}"

    @property
    def label(self) -> str:
        title = self.figure.replace("-", " ").title()
        return title if self.view == "front" else f"{title} ({self.view.replace('-', ' ')})"

    def metadata(self) -> ClipMetadata:
        return ClipMetadata(
            name=self.name,
            label=self.label,
            difficulty=self.difficulty,
            energy_level=self.energy_level,
            style=self.style,
            tempo_bpm=LEVEL_TEMPO[Difficulty(self.difficulty)],
        )


BEG, INT, ADV = Difficulty.BEGINNER, Difficulty.INTERMEDIATE, Difficulty.ADVANCED
LO, MID, HI = EnergyLevel.LOW, EnergyLevel.MEDIUM, EnergyLevel.HIGH
ROM, ENE, SEN, PLA = Style.ROMANTIC, Style.ENERGETIC, Style.SENSUAL, Style.PLAYFUL
F, TQ, TQL, S = "front", "three-quarter", "three-quarter-left", "side"

DEMO_MOVES: tuple[DemoMove, ...] = tuple(
    DemoMove(figure, view, level, energy, style)
    for figure, view, level, energy, style in (
        # beginner: the basics, at 120 BPM
        ("basic-step", F, BEG, LO, ROM),
        ("basic-step", TQ, BEG, MID, PLA),
        ("basic-step", TQL, BEG, HI, ENE),
        ("basic-step", S, BEG, MID, SEN),
        ("open-basic", F, BEG, MID, PLA),
        ("open-basic", TQ, BEG, LO, ROM),
        ("open-basic", TQL, BEG, HI, PLA),
        ("open-basic", S, BEG, LO, SEN),
        ("forward-back-basic", S, BEG, MID, ROM),
        ("forward-back-basic", TQ, BEG, HI, ENE),
        ("forward-back-basic", TQL, BEG, LO, SEN),
        ("forward-back-basic", F, BEG, HI, PLA),
        ("box-step", F, BEG, LO, ENE),
        ("box-step", TQ, BEG, MID, ROM),
        ("box-step", TQL, BEG, HI, SEN),
        ("box-step", S, BEG, MID, ENE),
        # intermediate: leads and turns, at 128 BPM
        ("cross-body-lead", F, INT, MID, ENE),
        ("cross-body-lead", TQ, INT, LO, ROM),
        ("cross-body-lead", TQL, INT, HI, PLA),
        ("outside-turn", F, INT, HI, ENE),
        ("outside-turn", TQ, INT, MID, PLA),
        ("outside-turn", TQL, INT, LO, ROM),
        ("outside-turn", S, INT, MID, SEN),
        ("inside-turn", F, INT, MID, ROM),
        ("inside-turn", TQ, INT, HI, PLA),
        ("inside-turn", TQL, INT, LO, ENE),
        ("inside-turn", S, INT, HI, SEN),
        ("body-wave", F, INT, LO, SEN),
        ("body-wave", TQ, INT, MID, SEN),
        ("body-wave", S, INT, HI, ROM),
        ("shadow-position", F, INT, LO, PLA),
        ("shadow-position", TQ, INT, MID, ENE),
        # advanced: turns, wraps and the dip, at 136 BPM
        ("double-turn", F, ADV, HI, ENE),
        ("double-turn", TQ, ADV, MID, PLA),
        ("double-turn", TQL, ADV, HI, SEN),
        ("double-turn", S, ADV, LO, ROM),
        ("hammerlock", F, ADV, MID, SEN),
        ("hammerlock", TQ, ADV, LO, ENE),
        ("hammerlock", TQL, ADV, HI, PLA),
        ("hammerlock", S, ADV, MID, ROM),
        ("dip", F, ADV, LO, SEN),
        ("dip", TQ, ADV, HI, ROM),
        ("dip", TQL, ADV, MID, SEN),
        ("dip", S, ADV, LO, PLA),
        ("body-wave", TQL, ADV, MID, ENE),
        ("shadow-position", TQL, ADV, LO, ROM),
        ("shadow-position", S, ADV, HI, PLA),
        ("cross-body-lead", S, ADV, MID, ROM),
    )
)
"""Every demo move: 16 per level, 5 or 6 per level and energy, each figure in several views."""

DEMO_FRAMING = (
    ClipMetadata("welcome", "Welcome", "beginner", "low", "romantic", 120.0, role=MoveRole.INTRO),
    ClipMetadata(
        "final-pose", "Final Pose", "beginner", "low", "sensual", 128.0, role=MoveRole.OUTRO
    ),
)
"""An intro move (before the first downbeat) and an outro move (the song's last phrases)."""

FRAMING_VIEWS = {"welcome": "front", "final-pose": "three-quarter"}


def demo_move_metadata(count: int | None = None) -> list[ClipMetadata]:
    """``count`` demo moves' metadata, spread evenly over the list (so over every level, energy
    and view): all of them by default."""
    total = len(DEMO_MOVES)
    count = total if count is None else max(1, min(count, total))
    return [DEMO_MOVES[index * total // count].metadata() for index in range(count)]


def demo_move_of(name: str) -> tuple[str, str]:
    """(figure, view) of a demo move or framing clip, by name."""
    for move in DEMO_MOVES:
        if move.name == name:
            return move.figure, move.view
    if name in FRAMING_VIEWS:
        return name, FRAMING_VIEWS[name]
    raise KeyError(f"not a demo move: {name!r}")

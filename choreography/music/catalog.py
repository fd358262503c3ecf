"""The words of an import: a move's metadata from its label and clip id. Pure rules, no I/O.

Style and role are derived from a move's label and clip id with the tables below (the first
matching row wins); difficulty in a manifest is low/medium/high and maps to our levels. Reading
file names, directories and manifests is the library's (choreography.library.sources).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from choreography.music.vocabulary import MoveRole, Style

STYLE_TABLE: tuple[tuple[str, tuple[str, ...]], ...] = (
    (Style.SENSUAL, ("sensual", "body roll", "body wave", "wave", "hip roll", "dip", "ocho", "caress", "isolation")),
    (Style.ROMANTIC, ("romantic", "cuddle", "hammerlock", "cradle", "titanic", "embrace", "hug", "close", "basic")),
    (Style.PLAYFUL, ("playful", "shadow", "tap", "sombrero", "copa", "hand change", "syncopat", "slide", "flirt", "peek")),
    (Style.ENERGETIC, ("energetic", "turn", "spin", "double", "triple", "shine", "footwork", "cross body", "dile que no", "mambo", "jump", "power")),
)  # fmt: skip
"""(style, keywords): a keyword matches at the start of a word of the label or the clip id."""
DEFAULT_STYLE = Style.ROMANTIC
"""The style of a move no keyword matches: bachata's traditional default."""

ROLE_TABLE: tuple[tuple[str, tuple[str, ...]], ...] = (
    (MoveRole.INTRO, ("intro", "opening", "entrance")),
    (MoveRole.OUTRO, ("outro", "ending", "finale", "closing")),
)
"""(role, keywords as whole words): intro moves play only before the first downbeat, outro moves
at the end."""

DIFFICULTY_MAP = {"low": "beginner", "medium": "intermediate", "high": "advanced"}
"""Manifest difficulty → library difficulty."""


@dataclass(frozen=True)
class ClipMetadata:
    """What the library records about a move besides its clip."""

    name: str
    label: str
    difficulty: str
    energy_level: str
    style: str
    tempo_bpm: float | None = None
    """None: measured from the clip's own audio, else DEFAULT_CLIP_TEMPO_BPM."""
    role: str = MoveRole.MOVE


def _words(*texts: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).strip() for text in texts)


def _first_match(table, *texts: str, whole_words: bool = False) -> str | None:
    words = _words(*texts)
    end = r"s?\b" if whole_words else ""
    for value, keywords in table:
        if any(re.search(rf"\b{re.escape(keyword)}{end}", words) for keyword in keywords):
            return str(value)
    return None


def derive_style(label: str, clip_id: str = "") -> str:
    """The style of a move from its label and clip id (``STYLE_TABLE``), else ``DEFAULT_STYLE``."""
    return _first_match(STYLE_TABLE, label, clip_id) or str(DEFAULT_STYLE)


def derive_role(label: str, clip_id: str = "") -> str:
    """ "intro"/"outro" when the label or clip id says so (``ROLE_TABLE``), else "move"."""
    return _first_match(ROLE_TABLE, label, clip_id, whole_words=True) or str(MoveRole.MOVE)


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:100] or "move"


def humanize(text: str) -> str:
    return " ".join(word.capitalize() for word in re.split(r"[\s_\-]+", text) if word) or text

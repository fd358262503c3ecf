"""What to import: move metadata from file names or an annotation manifest. No FFmpeg here.

Style and role are derived from a move's label and clip id with the tables below (the first
matching row wins); difficulty in a manifest is low/medium/high and maps to our levels.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from choreography.music.vocabulary import MoveRole, Style
from storage import InvalidKeyError, validate_key

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

VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi"})
"""Files picked up when a directory is given; files named explicitly are always tried."""


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


@dataclass(frozen=True)
class ClipJob:
    """One clip to import: where it is, what to call it, and its metadata."""

    path: Path
    meta: ClipMetadata


@dataclass(frozen=True)
class Skipped:
    """A file or manifest entry that was not imported, and why."""

    name: str
    reason: str


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


@dataclass(frozen=True)
class Defaults:
    """Metadata for plain files (command-line flags); None means derive or detect."""

    difficulty: str = "intermediate"
    energy_level: str = "medium"
    style: str | None = None
    tempo_bpm: float | None = None
    role: str | None = None


def jobs_from_paths(
    paths: Iterable[Path], defaults: Defaults = Defaults()
) -> tuple[list[ClipJob], list[Skipped]]:
    """Clips named on the command line: files as given, directories searched for videos."""
    jobs: list[ClipJob] = []
    skipped: list[Skipped] = []
    for path in paths:
        if path.is_dir():
            found = sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES
            )
            if not found:
                skipped.append(Skipped(str(path), "no video files in this directory"))
            jobs.extend(_plain_job(p, defaults) for p in found)
        elif path.is_file():
            jobs.append(_plain_job(path, defaults))
        else:
            skipped.append(Skipped(str(path), "file not found"))
    return jobs, skipped


def _plain_job(path: Path, defaults: Defaults) -> ClipJob:
    stem = path.stem
    return ClipJob(
        path,
        ClipMetadata(
            name=slugify(stem),
            label=humanize(stem),
            difficulty=defaults.difficulty,
            energy_level=defaults.energy_level,
            style=defaults.style or derive_style(stem),
            tempo_bpm=defaults.tempo_bpm,
            role=defaults.role or derive_role(stem),
        ),
    )


class ManifestClip(BaseModel):
    """One entry of the annotation manifest's "clips" list."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    clip_id: str = Field(min_length=1)
    video_path: str = Field(min_length=1)
    move_label: str = Field(min_length=1)
    energy_level: Literal["low", "medium", "high"]
    estimated_tempo: float | None = Field(None, gt=0, le=400)
    difficulty: Literal["low", "medium", "high"]


class ManifestError(ValueError):
    """Raised when the manifest file itself cannot be read (its entries are checked one by one)."""


def jobs_from_manifest(manifest: Path, root: Path) -> tuple[list[ClipJob], list[Skipped]]:
    """Clips listed in an annotation manifest, ``video_path`` relative to ``root``.

    A bad entry or a missing video is skipped and reported by its clip id; the rest import.
    """
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(f"annotation file not found: {manifest}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ManifestError(f"cannot read annotation file {manifest}: {exc}") from exc
    clips = data.get("clips") if isinstance(data, dict) else None
    if not isinstance(clips, list):
        raise ManifestError(
            f'{manifest}: expected an object with a "clips" list, got {type(clips).__name__}'
        )
    jobs: list[ClipJob] = []
    skipped: list[Skipped] = []
    for index, raw in enumerate(clips):
        name = raw.get("clip_id") if isinstance(raw, dict) else None
        label = str(name or f"clips[{index}]")
        try:
            entry = ManifestClip.model_validate(raw)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
                for err in exc.errors(include_url=False)
            )
            skipped.append(Skipped(label, f"invalid entry: {problems}"))
            continue
        try:
            path = root / validate_key(entry.video_path)
        except InvalidKeyError:
            skipped.append(
                Skipped(label, f"video_path must be relative to the root, got {entry.video_path!r}")
            )
            continue
        if not path.is_file():
            skipped.append(Skipped(label, f"file not found: {path}"))
            continue
        jobs.append(
            ClipJob(
                path,
                ClipMetadata(
                    name=slugify(entry.clip_id),
                    label=humanize(entry.move_label),
                    difficulty=DIFFICULTY_MAP[entry.difficulty],
                    energy_level=entry.energy_level,
                    style=derive_style(entry.move_label, entry.clip_id),
                    tempo_bpm=entry.estimated_tempo,
                    role=derive_role(entry.move_label, entry.clip_id),
                ),
            )
        )
    return jobs, skipped

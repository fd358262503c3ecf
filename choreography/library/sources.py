"""What to import: clips named by path, found in directories, listed in an annotation manifest,
or uploaded under a file name. The one place a move's metadata is read from a file name
(``clip_metadata``: the management command, the admin and the staff API use it).

The words (style and role tables, slugs, labels) are pure rules in choreography.music.catalog;
this module reads the file system.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from choreography.music.catalog import (
    DIFFICULTY_MAP,
    ClipMetadata,
    derive_role,
    derive_style,
    humanize,
    slugify,
)
from choreography.music.vocabulary import DEFAULT_DIFFICULTY, DEFAULT_ENERGY_LEVEL
from storage import InvalidKeyError, validate_key

VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi"})
"""Files picked up when a directory is given; files named explicitly are always tried."""


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


@dataclass(frozen=True)
class Defaults:
    """Metadata for plain files (command-line flags); None means derive or detect."""

    difficulty: str = DEFAULT_DIFFICULTY
    energy_level: str = DEFAULT_ENERGY_LEVEL
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


def clip_metadata(
    filename: str,
    *,
    name: str | None = None,
    label: str | None = None,
    difficulty: str = DEFAULT_DIFFICULTY,
    energy_level: str = DEFAULT_ENERGY_LEVEL,
    style: str | None = None,
    tempo_bpm: float | None = None,
    role: str | None = None,
) -> ClipMetadata:
    """A clip's metadata from its file name: what is given wins; else the name is the slug of
    the file's stem, the label its words capitalized, style and role derived from it."""
    stem = Path(filename).stem
    return ClipMetadata(
        name=slugify(name or stem),
        label=label or humanize(stem),
        difficulty=difficulty,
        energy_level=energy_level,
        style=style or derive_style(stem),
        tempo_bpm=tempo_bpm,
        role=role or derive_role(stem),
    )


def _plain_job(path: Path, defaults: Defaults) -> ClipJob:
    return ClipJob(path, clip_metadata(path.name, **dataclasses.asdict(defaults)))


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

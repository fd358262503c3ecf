"""One parser reads a move's metadata from a file name (library.sources.clip_metadata): the
management command, the admin upload and the staff API all go through it."""

from __future__ import annotations

from pathlib import Path

from choreography.library.sources import Defaults, clip_metadata, jobs_from_paths
from choreography.music.catalog import ClipMetadata


def test_a_file_name_gives_name_label_style_and_role():
    """Without anything given, the stem gives the slug, the label, the style and the role."""
    assert clip_metadata("Cross_Body-Lead Intro.v2.mp4") == ClipMetadata(
        name="cross-body-lead-intro-v2",
        label="Cross Body Lead Intro.v2",
        difficulty="intermediate",
        energy_level="medium",
        style="energetic",
        tempo_bpm=None,
        role="intro",
    )


def test_what_is_given_wins_over_the_file_name():
    """A given name is slugged; label, style, role, levels and tempo are taken as given."""
    assert clip_metadata(
        "cross body.mp4",
        name="My Move",
        label="Mine",
        difficulty="advanced",
        energy_level="high",
        style="sensual",
        tempo_bpm=128.0,
        role="outro",
    ) == ClipMetadata("my-move", "Mine", "advanced", "high", "sensual", 128.0, "outro")


def test_empty_values_fall_back_like_missing_ones():
    """Blank form fields (the admin's "") and None (the API's) both mean "from the file name"."""
    blank = clip_metadata("dip.mp4", name="", label="", style="", role="")
    assert blank == clip_metadata("dip.mp4", name=None, label=None, style=None, role=None)
    assert (blank.name, blank.label, blank.style, blank.role) == ("dip", "Dip", "sensual", "move")


def test_the_command_line_jobs_use_the_same_parser(tmp_path):
    """``import_moves`` paths: each file's metadata is clip_metadata of its name and the flags."""
    clip = tmp_path / "Sombrero Outro.mov"
    clip.write_bytes(b"")
    defaults = Defaults(difficulty="beginner", energy_level="low", tempo_bpm=100.0)
    jobs, skipped = jobs_from_paths([tmp_path, Path(tmp_path / "missing.mp4")], defaults)
    assert [job.meta for job in jobs] == [
        clip_metadata(clip.name, difficulty="beginner", energy_level="low", tempo_bpm=100.0)
    ]
    assert jobs[0].meta.role == "outro" and jobs[0].meta.style == "playful"
    assert [s.reason for s in skipped] == ["file not found"]

"""The demo library: a dancing couple per move, on its own tempo, encoded in the canonical format.

The build is timed by bench/demo_library.py, not here; the library ``serve`` builds on a fresh
data dir is checked clip by clip in tests/server/test_server.py (one build serves both). A contact sheet with one frame of every
figure is saved as ``screenshots/demo-figures.png`` (git-ignored) for people to look at.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from assembly import FFmpegCommandBuilder, VideoFormat
from choreography.library.demo import (
    DEMO_FIGURES,
    DEMO_FRAMING,
    clip_command,
    demo_move_metadata,
    figure_of,
)
from choreography.library.figures import FIGURES, HOME
from choreography.library.poses import Figure, Pose, interpolate, skeleton
from choreography.library.stage import Stage, frames
from choreography.models import Difficulty, EnergyLevel, Style
from tests.browser import SHOTS


def test_metadata_covers_every_difficulty_energy_and_style():
    """The generator finds every difficulty, energy level and style among the demo moves."""
    metas = demo_move_metadata()
    assert {m.difficulty for m in metas} == set(Difficulty.values)
    assert {m.energy_level for m in metas} == set(EnergyLevel.values)
    assert {m.style for m in metas} == set(Style.values)
    assert len({m.name for m in metas}) == len(metas)
    assert {figure_of(m) for m in metas} == {name for name, _ in DEMO_FIGURES}
    assert {figure_of(m) for m in DEMO_FRAMING} == {"welcome", "final-pose"}
    assert {m.tempo_bpm for m in metas} == {112.0, 120.0, 128.0, 136.0, 144.0}


def test_every_figure_is_one_or_two_eight_counts_from_home_to_home():
    """Clips cut into one another cleanly: each figure starts (but the intro, which walks in)
    and ends (but the outro's final pose) at home."""
    for figure in FIGURES.values():
        assert figure.counts in (8, 16), figure.name
        ends = [figure.keys[0], figure.keys[-1]]
        if figure.name == "welcome":
            ends = ends[1:]
        elif figure.name == "final-pose":
            ends = ends[:1]
        for pair in ends:
            for pose, home in zip(pair, HOME, strict=True):
                assert (pose.x, pose.z) == pytest.approx((home.x, home.z)), figure.name


def test_a_figure_with_the_wrong_number_of_keyframes_is_refused():
    """A figure must have one keyframe per count (per subdivision) plus the closing one."""
    with pytest.raises(ValueError, match="expected 9"):
        Figure("short", 8, tuple((Pose(), Pose()) for _ in range(8)))


def test_a_turn_narrows_and_shows_the_back():
    """Half way through her turn the follower is seen from behind, side-on on the way."""
    turn = FIGURES["outside-turn"]
    widths = []
    for beat in np.linspace(4.0, 7.0, 13):
        poses, lifts = interpolate(turn, float(beat))
        widths.append(skeleton(poses[1], lifts[1]).facing)
    assert max(widths) == pytest.approx(1.0, abs=0.01)
    assert min(widths) < -0.9
    assert any(abs(w) < 0.4 for w in widths)


def test_steps_lift_the_travelling_foot_and_land_on_the_count():
    """Between counts a moving foot leaves the floor; on the count it is down again."""
    basic = FIGURES["basic-step"]
    _, on_count = interpolate(basic, 2.0)
    _, between = interpolate(basic, 2.4)
    assert np.all(on_count == 0.0)
    assert between.max() > 0.03


def test_clip_command_encodes_raw_frames_in_the_canonical_format(tmp_path):
    """Raw RGBA frames from stdin, brought to the canonical rate and codec settings."""
    builder = FFmpegCommandBuilder()
    fmt = VideoFormat(width=320, height=180, fps=30)
    argv = clip_command(builder, fmt, tmp_path / "c.mp4", render_fps=15)
    assert argv[: len(builder.base_args())] == builder.base_args()
    assert argv[argv.index("-i") - 8 : argv.index("-i") + 2] == [
        "-f", "rawvideo", "-pix_fmt", "rgba", "-s", "320x180", "-framerate", "15",
        "-i", "pipe:0",
    ]  # fmt: skip
    assert argv[argv.index("-vf") + 1] == "format=yuv420p,fps=30"
    codec = builder.canonical_video_codec_args(fmt)
    assert argv[-1 - len(codec) : -1] == codec


SHOWCASE_BEAT = {
    "outside-turn": 5.45, "inside-turn": 5.45, "double-turn": 13.3, "cross-body-lead": 3.5,
    "hammerlock": 7.0, "body-wave": 3.0, "dip": 6.0, "shadow-position": 2.0, "welcome": 5.5,
    "final-pose": 14.0, "box-step": 4.5, "forward-back-basic": 2.0,
}  # fmt: skip
"""The count each figure is most itself at, for the contact sheet."""


def test_contact_sheet_of_every_figure():
    """One frame of every figure, mid-move, saved for people to look at (the couple reads as
    dancing: two figures, legs on the floor, the count in the corner)."""
    width, height = 480, 270
    stage = Stage(width, height)
    names = list(FIGURES)
    columns = 4
    rows = -(-len(names) // columns)
    sheet = Image.new("RGB", (columns * width, rows * height), "white")
    for i, name in enumerate(names):
        figure = FIGURES[name]
        beat = SHOWCASE_BEAT.get(name, figure.counts * 0.6)
        frame = stage.frame(figure, beat, name.replace("-", " ").title())
        sheet.paste(frame.convert("RGB"), ((i % columns) * width, (i // columns) * height))
    SHOTS.mkdir(exist_ok=True)
    sheet.save(SHOTS / "demo-figures.png")
    assert sheet.getbbox() is not None


def test_frames_follow_the_tempo():
    """A figure of 8 counts at 120 BPM lasts 4 s: 60 frames drawn at 15 fps."""
    stage = Stage(64, 36)
    drawn = list(frames(stage, FIGURES["basic-step"], tempo_bpm=120.0, fps=15, label="Basic"))
    assert len(drawn) == 60
    assert all(len(frame) == 64 * 36 * 4 for frame in drawn)
    assert len(set(drawn)) > 30

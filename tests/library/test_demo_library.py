"""The demo library: a dancing couple per move, on its own tempo, encoded in the canonical format.

The build is timed by bench/demo_library.py, not here; the library ``serve`` builds on a fresh
data dir is checked clip by clip in tests/server/test_server.py (one build serves both). The
contact sheet of every demo move (``manage.py demo_contact_sheet``) is saved as
``screenshots/demo-contact-sheet.png`` (git-ignored) for people to look at.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from assembly import FFmpegCommandBuilder, VideoFormat
from choreography.library.contact_sheet import contact_sheet
from choreography.library.demo import clip_command, figure_of
from choreography.library.demo_moves import (
    DEMO_FRAMING,
    DEMO_MOVES,
    MARKED_FIGURES,
    VIEWS,
    demo_move_metadata,
    demo_move_of,
)
from choreography.library.figures import FIGURES, HOME
from choreography.library.poses import Figure, Pose, interpolate, seen_from, skeleton
from choreography.library.stage import HEAD_BAND, JOINED, TURN_ARROW, Stage, frames
from choreography.models import Difficulty, EnergyLevel, Style
from tests.browser import SHOTS


def test_metadata_covers_every_difficulty_energy_and_style():
    """The generator finds every difficulty, energy level and style among the demo moves."""
    metas = demo_move_metadata()
    assert {m.difficulty for m in metas} == set(Difficulty.values)
    assert {m.energy_level for m in metas} == set(EnergyLevel.values)
    assert {m.style for m in metas} == set(Style.values)
    assert len({m.name for m in metas}) == len(metas) >= 48
    assert {figure_of(m) for m in metas} == set(FIGURES) - {"welcome", "final-pose"}
    assert {figure_of(m) for m in DEMO_FRAMING} == {"welcome", "final-pose"}
    assert {m.tempo_bpm for m in metas} == {120.0, 128.0, 136.0}
    assert {move.view for move in DEMO_MOVES} == set(VIEWS)


def test_a_subset_of_the_demo_moves_is_spread_over_levels_energies_and_views():
    """``serve --demo-moves 24`` (the tests' build) still has every level, energy and view."""
    subset = demo_move_metadata(24)
    assert len({m.name for m in subset}) == 24
    assert {(m.difficulty, m.energy_level) for m in subset} == {
        (level, energy) for level in Difficulty.values for energy in EnergyLevel.values
    }
    assert {demo_move_of(m.name)[1] for m in subset} == set(VIEWS)


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


def every_clip():
    """(figure, yaw, marks) of every demo move and framing clip."""
    for name in [m.name for m in DEMO_MOVES] + [m.name for m in DEMO_FRAMING]:
        figure, view = demo_move_of(name)
        yield FIGURES[figure], VIEWS[view], figure in MARKED_FIGURES


def test_nothing_is_written_on_the_clips_and_the_top_is_left_to_the_overlay():
    """No name, no count: the top 15 % of every frame of every clip is the bare wall."""
    stage = Stage(160, 90)
    top = (0, 0, 160, round(90 * 0.15))
    wall = stage.background.crop(top).tobytes()
    for figure, yaw, marks in every_clip():
        for beat in np.linspace(0, figure.counts, 9):
            frame = stage.frame(figure, float(beat), yaw=yaw, marks=marks)
            assert frame.crop(top).tobytes() == wall, (figure.name, beat)


def test_heads_stay_in_their_band_in_every_figure_and_view():
    """The overlay may use what is above and below HEAD_BAND (the README says which band)."""
    stage = Stage(320, 180)
    tops, bottoms = [], []
    for figure, yaw, _ in every_clip():
        for beat in np.linspace(0, figure.counts, figure.counts * 4 + 1):
            poses, lifts = interpolate(figure, float(beat))
            poses = seen_from(poses, yaw)
            for dancer in range(2):
                body = skeleton(poses[dancer], lifts[dancer])
                _, y = stage.project(body.head, body.z)
                radius = 0.105 * stage.unit * (1 + 0.2 * body.z)
                tops.append((y - radius) / stage.height)
                bottoms.append((y + radius) / stage.height)
    assert HEAD_BAND[0] <= min(tops) and max(bottoms) <= HEAD_BAND[1], (min(tops), max(bottoms))


def test_a_view_turns_the_couple():
    """From three-quarter the bodies narrow and the screen-left dancer comes nearer; from the
    side the forward-back basic travels across the screen."""
    poses, lifts = interpolate(FIGURES["basic-step"], 0.0)
    turned = seen_from(poses, VIEWS["three-quarter"])
    leader = skeleton(turned[0], lifts[0])
    assert leader.facing == pytest.approx(np.cos(VIEWS["three-quarter"]))
    assert turned[0][1] > turned[1][1]  # z: the leader is nearer the camera

    def hip_x(beat: float, yaw: float) -> float:
        poses, _ = interpolate(FIGURES["forward-back-basic"], beat)
        return float(seen_from(poses, yaw)[0][0])

    assert abs(hip_x(2.0, 0.0) - hip_x(0.0, 0.0)) < 1e-9
    assert abs(hip_x(2.0, VIEWS["side"]) - hip_x(0.0, VIEWS["side"])) > 0.2


def pixels(image: Image.Image, colour: tuple[int, int, int]) -> int:
    rgb = np.asarray(image.convert("RGB")).reshape(-1, 3)
    return int(np.all(rgb == colour, axis=1).sum())


def test_joined_hands_are_gold_and_her_turn_has_an_arrow():
    """The open basic's joined hands are drawn gold; the arrow shows only while she turns."""
    stage = Stage(320, 180)
    assert pixels(stage.frame(FIGURES["open-basic"], 3.0), JOINED) > 20
    turning = stage.frame(FIGURES["outside-turn"], 5.5, yaw=VIEWS["three-quarter"])
    assert pixels(turning, TURN_ARROW) > 20
    assert pixels(stage.frame(FIGURES["outside-turn"], 2.0), TURN_ARROW) == 0


def test_the_basics_show_floor_marks_where_the_feet_land():
    """Footprints on the floor wherever a foot is planted on a count (none in the air)."""
    stage = Stage(320, 180)
    box = FIGURES["box-step"]
    marks = stage.floor_marks(box, 0.0)
    assert len(marks) >= 8
    assert all(box_[1] > 180 * 0.62 for box_, _, _ in marks)  # on the floor, below the wall
    with_marks = stage.frame(box, 4.0, marks=True).tobytes()
    assert with_marks != stage.frame(box, 4.0).tobytes()


def test_contact_sheet_of_every_demo_move():
    """Three frames of every demo move, labelled; saved for people to look at."""
    sheet = contact_sheet(160, 90)
    rows = -(-(len(DEMO_MOVES) + len(DEMO_FRAMING)) // 2)
    assert sheet.height >= rows * 90
    SHOTS.mkdir(exist_ok=True)
    sheet.save(SHOTS / "demo-contact-sheet.png")
    assert len(sheet.getcolors(1 << 20) or ()) > 50


def test_frames_follow_the_tempo():
    """A figure of 8 counts at 120 BPM lasts 4 s: 60 frames drawn at 15 fps."""
    stage = Stage(64, 36)
    drawn = list(frames(stage, FIGURES["basic-step"], tempo_bpm=120.0, fps=15))
    assert len(drawn) == 60
    assert all(len(frame) == 64 * 36 * 4 for frame in drawn)
    assert len(set(drawn)) > 30

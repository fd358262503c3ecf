"""The demo figures as pose keyframes per count: what makes each demo move recognizably itself.

The leader stands screen-left, the follower screen-right, facing each other in a stage view.
Every figure starts and ends in the closed hold at home, so clips cut into one another cleanly.
Steps land on the counts: the basic is side, together, side, tap (4) and back (5-8, tap on 8).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from choreography.library.poses import Figure, Pose

LEADER_X, FOLLOWER_X = -0.36, 0.36
HOME = (Pose(x=LEADER_X), Pose(x=FOLLOWER_X))
TURN = 2 * math.pi

BASIC_X = (0.0, -0.1, -0.25, -0.25, -0.1, 0.0, 0.15, 0.15, 0.0)
"""Where the basic's hips are on counts 1-8 and the next 1: three steps left, tap, three right."""
BASIC_FEET = ("side", "together", "side", "tap-r", "side", "together", "side", "tap-l", "side")
FEET = {
    "side": {"lf": -0.14, "rf": 0.14},
    "together": {"lf": -0.05, "rf": 0.05},
    "tap-r": {"lf": -0.02, "rf": 0.1, "rf_lift": 0.05, "tilt": -0.15},
    "tap-l": {"lf": -0.1, "rf": 0.02, "lf_lift": 0.05, "tilt": 0.15},
}

Pair = tuple[Pose, Pose]


def closed(pair: Pair) -> Pair:
    """Closed hold: his right hand on her back, her left hand on his shoulder, outer hands low."""
    leader, follower = pair
    return (
        leader.hand_at("r", follower.x - 0.07, 1.08).but(lhx=-0.26, lhy=1.02),
        follower.hand_at("l", leader.x + 0.12, 1.36).but(rhx=0.26, rhy=1.02),
    )


def open_hold(pair: Pair, *, height: float = 1.02) -> Pair:
    """One hand joined between them (his right, her left), outer hands relaxed."""
    leader, follower = pair
    middle = (leader.x + follower.x) / 2
    return (
        leader.hand_at("r", middle, height).but(lhx=-0.22, lhy=0.88),
        follower.hand_at("l", middle, height).but(rhx=0.22, rhy=0.88),
    )


def raised(pair: Pair, *, over: float | None = None) -> Pair:
    """His right and her left hand joined above her, within his reach, to turn under."""
    leader, follower = pair
    x = follower.x - 0.14 if over is None else over
    return (
        leader.hand_at("r", x, 1.92).but(lhx=-0.22, lhy=0.88),
        follower.hand_at("l", x, 1.92).but(rhx=0.26, rhy=1.05),
    )


def basic_step(count: int, pair: Pair = HOME, *, axis: str = "x", scale: float = 1.0) -> Pair:
    """Both dancers at ``count`` (0-8) of the basic, moving along x (side) or z (forward-back)."""
    offset = BASIC_X[count] * scale
    feet = FEET[BASIC_FEET[count]]
    return tuple(  # type: ignore[return-value]
        pose.but(
            **feet, **({"x": pose.x + offset} if axis == "x" else {"z": pose.z - offset * 1.6})
        )
        for pose in pair
    )


def figure(
    name: str, counts: int, at: Callable[[int], Pair], *, per_count: int = 1, hips: float = 1.0
) -> Figure:
    keys = tuple(at(i) for i in range(counts * per_count + 1))
    return Figure(name, counts, keys, per_count=per_count, hips=hips)


def _basic(i: int) -> Pair:
    return closed(basic_step(i))


def _open_basic(i: int) -> Pair:
    return closed(basic_step(0)) if i in (0, 8) else open_hold(basic_step(i))


def _forward_back(i: int) -> Pair:
    return closed(basic_step(i, axis="z"))


BOX = ((0, 0), (-0.12, 0), (-0.25, 0), (-0.25, 0), (-0.25, 0.32), (-0.1, 0.32), (0.02, 0.32),
       (0.02, 0.32), (0, 0))  # fmt: skip
"""(x, z) of the box step on counts 1-8 and the next 1: side, together, side, tap, forward, ..."""


def _box(i: int) -> Pair:
    x, z = BOX[i]
    feet = FEET[BASIC_FEET[i]]
    return closed(tuple(p.but(x=p.x + x, z=z, **feet) for p in HOME))  # type: ignore[arg-type]


def _cross_body_lead(i: int) -> Pair:
    """She walks across in front of him, turning, while he steps aside; twice, back home."""
    half, c = divmod(i, 8)
    home_l, home_f = LEADER_X, FOLLOWER_X
    swapped_l, swapped_f = FOLLOWER_X + 0.05, LEADER_X - 0.05
    if c == 0:
        if half % 2 == 0:
            return closed(HOME)
        return open_hold((Pose(x=swapped_l), Pose(x=swapped_f, turn=TURN)), height=1.15)
    (l_from, l_to), (f_from, f_to) = (
        ((home_l, swapped_l), (home_f, swapped_f))
        if half == 0
        else ((swapped_l, home_l), (swapped_f, home_f))
    )
    away = -1.0 if l_to > l_from else 1.0
    # Leader: steps out of her way (back, side-on), then takes her place.
    if c <= 4:
        leader_x = l_from + away * (0.12, 0.18, 0.18, 0.1)[c - 1]
    else:
        leader_x = l_from + (l_to - l_from) * (c - 4) / 4
    leader = Pose(x=leader_x, z=-0.18 if c <= 6 else 0.0, turn=0.0 if c == 4 else -1.1 * away)
    # Follower: crosses in front (towards the camera), a full turn on the way.
    progress = min(c, 6) / 6
    spin = max(0, min(c - 2, 4)) / 4
    follower = Pose(
        x=f_from + (f_to - f_from) * progress,
        z=0.25 * math.sin(math.pi * progress),
        turn=TURN * spin if half == 0 else TURN * (1 - spin),
    )
    feet = FEET["together" if c % 2 else "side"]
    return open_hold((leader.but(**feet), follower.but(**feet)), height=1.15)


def _turn(direction: int, travel: float = 0.0) -> Callable[[int], Pair]:
    """A turn for her under the raised hand on 5-7; ``direction`` 1 inside, -1 outside."""

    def at(i: int) -> Pair:
        leader, follower = basic_step(i)
        if i <= 3:
            return (closed if i in (0,) else open_hold)((leader, follower))
        if i == 8:
            return closed((leader, follower))
        progress = min(i - 4, 3) / 3
        follower = follower.but(
            turn=direction * TURN * progress,
            x=follower.x - travel * math.sin(math.pi * progress),
            z=0.08,
            lf=-0.04,
            rf=0.04,
        )
        if i == 7:
            return open_hold((leader, follower.but(turn=direction * TURN)))
        if direction > 0:  # inside: he leads with her right hand, across her
            x = follower.x - 0.14
            return (
                leader.hand_at("r", x, 1.92).but(lhx=-0.22, lhy=0.88),
                follower.hand_at("r", x, 1.92).but(lhx=-0.24, lhy=1.05),
            )
        return raised((leader, follower))

    return at


def _double_turn(i: int) -> Pair:
    first = _turn(-1)(i) if i <= 8 else _turn(-1)(i - 8)
    if i > 8:
        first = tuple(p.but(turn=p.turn * 2) for p in first)  # type: ignore[assignment]
    return first  # type: ignore[return-value]


def _hammerlock(i: int) -> Pair:
    """She turns in and her right hand is wrapped behind her back, held by his right hand."""
    if i <= 2 or i == 16:
        return _basic(i % 8)
    if 3 <= i <= 4:
        leader, follower = basic_step(i)
        follower = follower.but(turn=TURN * (i - 2) / 2, x=follower.x - 0.12 * (i - 2))
        return raised((leader, follower))
    if i >= 13:  # unwinding: a turn back out
        leader, follower = basic_step(i - 8)
        follower = follower.but(turn=TURN * (16 - i) / 4, x=follower.x - 0.2 * (16 - i) / 4)
        return raised((leader, follower))
    leader, follower = basic_step(i % 8, scale=0.5)
    follower = follower.but(x=follower.x - 0.22, z=0.12, turn=TURN + 0.7)
    back = follower.x - 0.02
    return (
        leader.hand_at("r", back, 1.0).but(lhx=-0.24, lhy=0.95),
        follower.hand_at("r", back, 1.0).hand_at("l", leader.x + 0.12, 1.36),
    )


def _body_wave(step: int) -> Pair:
    """Two waves rippling hips, chest and head on each half of the eight (4 keys per count)."""
    beat = step / 4
    if beat in (0, 8):
        return _basic(0)
    phase = math.pi * beat / 2  # one wave per two counts
    envelope = min(1.0, beat / 1.5, (8 - beat) / 1.5)

    def wave(pose: Pose, sign: float) -> Pose:
        return pose.but(
            tilt=sign * 0.35 * envelope * math.sin(phase),
            lean=sign * 0.16 * envelope * math.sin(phase - 1.0),
            wave=-sign * 0.32 * envelope * math.sin(phase - 2.0),
            head=sign * 0.35 * envelope * math.sin(phase - 3.0),
            bob=0.08 * envelope * (1 - math.cos(2 * phase)) / 2,
        )

    leader, follower = HOME
    return open_hold((wave(leader, 0.5), wave(follower, 1.0)))


def _dip(i: int) -> Pair:
    """A basic, then he lunges and lowers her back on 5-7, and brings her up on 8."""
    if i <= 4 or i == 8:
        return _basic(i)
    depth = {5: 0.6, 6: 1.0, 7: 1.0}[i]
    leader = Pose(x=LEADER_X + 0.08, bob=0.16 * depth, lean=0.12 * depth, lf=-0.2, rf=0.16)
    follower = Pose(
        x=FOLLOWER_X + 0.02,
        bob=0.22 * depth,
        lean=1.05 * depth,
        head=0.5 * depth,
        lf=-0.06,
        rf=0.22,
        rhx=0.25 + 0.35 * depth,
        rhy=1.05 - 0.25 * depth,
    )
    chest_x = follower.x + 0.3 * math.sin(follower.lean)
    return (
        leader.hand_at("r", chest_x, 1.15 - 0.2 * depth).but(lhx=-0.3, lhy=1.3),
        follower.hand_at("l", leader.x + 0.14, 1.35 - 0.1 * depth),
    )


def _shadow(i: int) -> Pair:
    """She in front, both facing the camera, his hands on her hips; the basic together."""
    if i in (0, 8):
        return _basic(i)
    leader, follower = basic_step(i, (Pose(x=-0.04, z=-0.35), Pose(x=0.04, z=0.2)))
    hip_y = 0.95
    return (
        leader.hand_at("l", follower.x - 0.14, hip_y).hand_at("r", follower.x + 0.14, hip_y),
        follower.but(lhx=-0.3, lhy=1.25 if i % 2 else 1.1, rhx=0.3, rhy=1.1 if i % 2 else 1.25),
    )


def _intro(i: int) -> Pair:
    """They walk in from the sides, bow and curtsy, and take the closed hold."""
    if i <= 4:
        apart = 0.45 * (4 - i) / 4
        feet = FEET["together" if i % 2 else "side"]
        return (
            Pose(x=LEADER_X - apart, **feet).but(lhx=-0.2, lhy=0.9),
            Pose(x=FOLLOWER_X + apart, **feet).but(rhx=0.2, rhy=0.9),
        )
    if i in (5, 6):
        return (
            Pose(x=LEADER_X, bow=0.75, bob=0.03, rhx=0.1, rhy=1.05, lhx=-0.3, lhy=0.7),
            Pose(x=FOLLOWER_X, bob=0.18, lf=-0.16, rf=0.06, lhx=-0.35, lhy=0.72, rhx=0.35,
                 rhy=0.72, head=0.25),
        )  # fmt: skip
    return closed(HOME) if i == 8 else open_hold(HOME)


def _outro(i: int) -> Pair:
    """A basic, she spins out to his side, and both open their arms on the final pose."""
    if i <= 8:
        return _basic(i)
    if i <= 12:
        leader, follower = basic_step(i - 8)
        follower = follower.but(turn=-TURN * (i - 8) / 4, x=FOLLOWER_X + 0.3 * (i - 8) / 4)
        return open_hold((leader, follower), height=1.2)
    leader = Pose(x=LEADER_X - 0.05, lf=-0.16, rf=0.1)
    follower = Pose(
        x=FOLLOWER_X + 0.3, turn=-TURN, lf=-0.05, rf=0.2, lean=-0.1, tilt=0.25, head=-0.2
    )
    middle = (leader.x + follower.x) / 2
    return (
        leader.hand_at("r", middle, 1.45).but(lhx=-0.45, lhy=1.85),
        follower.hand_at("l", middle, 1.45).but(rhx=0.45, rhy=1.85),
    )


FIGURES: dict[str, Figure] = {
    f.name: f
    for f in (
        figure("basic-step", 8, _basic),
        figure("open-basic", 8, _open_basic),
        figure("forward-back-basic", 8, _forward_back),
        figure("box-step", 8, _box),
        figure("cross-body-lead", 16, _cross_body_lead),
        figure("outside-turn", 8, _turn(-1)),
        figure("inside-turn", 8, _turn(1, travel=0.15)),
        figure("double-turn", 16, _double_turn),
        figure("hammerlock", 16, _hammerlock),
        figure("body-wave", 8, _body_wave, per_count=4, hips=0.3),
        figure("dip", 8, _dip, hips=0.4),
        figure("shadow-position", 8, _shadow),
        figure("welcome", 8, _intro, hips=0.3),
        figure("final-pose", 16, _outro),
    )
}
"""Every demo figure by name; the demo library has one or more clips of each."""


def figure_names() -> Sequence[str]:
    return tuple(FIGURES)

"""Pose keyframes of a 2D dancer and the skeleton they give, frame by frame. Pure: no I/O.

A figure is a list of keyframes per count for the leader and the follower; a frame's pose is
the smooth interpolation between the two keyframes around it (the step lands a little before
the beat and holds, as a dancer's weight does). Feet that travel between two keyframes are
lifted on the way, and the hips pop on every beat, so any figure reads as stepping to the music.
World units are metres-ish: x to the right of the screen, y up from the floor, z towards the
camera; a dancer is about 1.75 tall.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

HIP_HEIGHT = 0.95
THIGH = SHIN = 0.485
UPPER_ARM, FOREARM = 0.3, 0.29
LOWER_SPINE, UPPER_SPINE = 0.27, 0.26
SHOULDER_HALF, HIP_HALF = 0.19, 0.11
NECK_TO_HEAD = 0.14
STEP_LIFT = 0.07
HIP_POP = 0.09
LAND_AT = 0.8
"""Fraction of a count after which a step has landed and holds until the next one."""


@dataclass(frozen=True)
class Pose:
    """One dancer at one count. Feet and hands are relative to the hip's x; hands' y from the floor."""

    x: float = 0.0
    z: float = 0.0
    bob: float = 0.0
    """How far the hips sink (knees bend)."""
    tilt: float = 0.0
    """Hip tilt in radians: positive raises the screen-left hip."""
    lean: float = 0.0
    """Spine lean in radians: positive moves the head to the screen right."""
    wave: float = 0.0
    """Extra bend of the upper spine (a body wave ripples lean, wave, head)."""
    bow: float = 0.0
    """Bow towards the camera in radians: the spine is foreshortened and the head drops."""
    turn: float = 0.0
    """Facing angle in radians: 0 faces the camera, pi shows the back. Widths scale by cos."""
    head: float = 0.0
    lf: float = -0.09
    lf_lift: float = 0.0
    rf: float = 0.09
    rf_lift: float = 0.0
    lhx: float = -0.24
    lhy: float = 0.85
    rhx: float = 0.24
    rhy: float = 0.85

    def but(self, **changes: float) -> Pose:
        return dataclasses.replace(self, **changes)

    def hand_at(self, side: str, world_x: float, y: float) -> Pose:
        """This pose with its ``side`` ("l" or "r") hand at a world point (to join hands)."""
        return self.but(**{f"{side}hx": world_x - self.x, f"{side}hy": y})


FIELDS = tuple(field.name for field in dataclasses.fields(Pose))
INDEX = {name: i for i, name in enumerate(FIELDS)}


@dataclass(frozen=True)
class Figure:
    """Keyframes of a couple: ``keys[i]`` is (leader, follower) at count ``i / per_count``."""

    name: str
    counts: int
    keys: tuple[tuple[Pose, Pose], ...]
    per_count: int = 1
    hips: float = 1.0
    """Scale of the hip pop on each beat (0 for figures that hold still, like a dip)."""

    def __post_init__(self) -> None:
        if len(self.keys) != self.counts * self.per_count + 1:
            raise ValueError(
                f"figure {self.name!r}: {len(self.keys)} keyframes for {self.counts} counts "
                f"at {self.per_count} per count; expected {self.counts * self.per_count + 1}"
            )

    @functools.cached_property
    def table(self) -> np.ndarray:
        """Keyframes as an array (key, dancer, field), built once."""
        return np.array(
            [[dataclasses.astuple(pose) for pose in pair] for pair in self.keys], dtype=float
        )


@dataclass(frozen=True)
class Skeleton:
    """Joint positions in world units (x, y) and depth, ready to be projected and drawn."""

    z: float
    facing: float
    """cos(turn): 1 facing the camera, -1 the back, near 0 side-on."""
    side: float
    """sin(turn): which way the face points while turning."""
    hip: tuple[float, float]
    hips: tuple[tuple[float, float], tuple[float, float]]
    chest: tuple[float, float]
    neck: tuple[float, float]
    head: tuple[float, float]
    shoulders: tuple[tuple[float, float], tuple[float, float]]
    elbows: tuple[tuple[float, float], tuple[float, float]]
    hands: tuple[tuple[float, float], tuple[float, float]]
    knees: tuple[tuple[float, float], tuple[float, float]]
    feet: tuple[tuple[float, float], tuple[float, float]]


def _smooth(f: np.ndarray | float) -> np.ndarray | float:
    f = np.clip(np.asarray(f) / LAND_AT, 0.0, 1.0)
    return f * f * (3.0 - 2.0 * f)


def interpolate(figure: Figure, beat: float) -> tuple[np.ndarray, np.ndarray]:
    """(pose vectors of both dancers, lifts of both dancers' feet) at ``beat`` counts in."""
    table = figure.table
    position = min(max(beat, 0.0), figure.counts) * figure.per_count
    i = min(int(position), len(table) - 2)
    f = position - i
    s = float(_smooth(f))
    before, after = table[i], table[i + 1]
    pose = before * (1.0 - s) + after * s
    # A foot that travels between the two keyframes is lifted on the way (on the fast part).
    lifts = np.zeros((2, 2))
    travel_phase = math.sin(math.pi * min(f / LAND_AT, 1.0))
    for foot, offset in enumerate((INDEX["lf"], INDEX["rf"])):
        world_before = before[:, INDEX["x"]] + before[:, offset]
        world_after = after[:, INDEX["x"]] + after[:, offset]
        travel = np.abs(world_after - world_before) + np.abs(after[:, 1] - before[:, 1])
        lifts[:, foot] = STEP_LIFT * np.minimum(1.0, travel / 0.12) * travel_phase
    pose[:, INDEX["tilt"]] += figure.hips * HIP_POP * math.cos(math.pi * beat)
    return pose, lifts


def _bend(
    root: tuple[float, float], target: tuple[float, float], a: float, b: float, outward: float
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Two-bone IK: (middle joint, end) reaching from ``root`` towards ``target``.

    The middle joint bends to the side whose x is ``outward`` (sign) of the root, or down.
    """
    dx, dy = target[0] - root[0], target[1] - root[1]
    d = math.hypot(dx, dy) or 1e-6
    reach = min(d, (a + b) * 0.999)
    ux, uy = dx / d, dy / d
    end = (root[0] + ux * reach, root[1] + uy * reach)
    along = (a * a - b * b + reach * reach) / (2 * reach)
    h = math.sqrt(max(a * a - along * along, 0.0))
    candidates = [
        (root[0] + ux * along - uy * h * sign, root[1] + uy * along + ux * h * sign)
        for sign in (1.0, -1.0)
    ]
    if outward:
        middle = max(candidates, key=lambda p: (p[0] - root[0]) * outward - 0.5 * p[1])
    else:
        middle = min(candidates, key=lambda p: p[1])
    return middle, end


def skeleton(vector: Sequence[float], lifts: Sequence[float]) -> Skeleton:
    """The joints of one dancer for one interpolated pose vector."""
    p = Pose(*(float(v) for v in vector))
    facing, side = math.cos(p.turn), math.sin(p.turn)
    width = math.copysign(max(abs(facing), 0.18), facing)
    hip = (p.x, HIP_HEIGHT - p.bob)
    foreshorten = math.cos(p.bow)
    lower = p.lean
    upper = p.lean + p.wave
    chest = (
        hip[0] + LOWER_SPINE * math.sin(lower),
        hip[1] + LOWER_SPINE * math.cos(lower) * foreshorten,
    )
    neck = (
        chest[0] + UPPER_SPINE * math.sin(upper),
        chest[1] + UPPER_SPINE * math.cos(upper) * foreshorten,
    )
    head_angle = upper + p.head
    head = (
        neck[0] + NECK_TO_HEAD * math.sin(head_angle),
        neck[1] + NECK_TO_HEAD * math.cos(head_angle) * math.cos(p.bow * 1.3),
    )
    across = (math.cos(upper), -math.sin(upper))
    shoulder_base = (neck[0] - 0.04 * math.sin(upper), neck[1] - 0.04 * math.cos(upper))
    shoulders = tuple(
        (
            shoulder_base[0] + sign * SHOULDER_HALF * width * across[0],
            shoulder_base[1] + sign * SHOULDER_HALF * width * across[1],
        )
        for sign in (-1.0, 1.0)
    )
    hips = tuple(
        (
            hip[0] + sign * HIP_HALF * width * math.cos(p.tilt),
            hip[1] - sign * HIP_HALF * math.sin(p.tilt),
        )
        for sign in (-1.0, 1.0)
    )
    hand_targets = ((p.x + p.lhx, p.lhy), (p.x + p.rhx, p.rhy))
    arms = [
        _bend(shoulder, target, UPPER_ARM, FOREARM, outward=sign)
        for shoulder, target, sign in zip(shoulders, hand_targets, (-1.0, 1.0), strict=True)
    ]
    foot_targets = (
        (p.x + p.lf * width, p.lf_lift + lifts[0]),
        (p.x + p.rf * width, p.rf_lift + lifts[1]),
    )
    legs = [
        _bend(hip_joint, target, THIGH, SHIN, outward=sign * 0.6)
        for hip_joint, target, sign in zip(hips, foot_targets, (-1.0, 1.0), strict=True)
    ]
    return Skeleton(
        z=p.z,
        facing=facing,
        side=side,
        hip=hip,
        hips=hips,  # type: ignore[arg-type]
        chest=chest,
        neck=neck,
        head=head,
        shoulders=shoulders,  # type: ignore[arg-type]
        elbows=(arms[0][0], arms[1][0]),
        hands=(arms[0][1], arms[1][1]),
        knees=(legs[0][0], legs[1][0]),
        feet=(legs[0][1], legs[1][1]),
    )


def seen_from(poses: np.ndarray, yaw: float) -> np.ndarray:
    """Both dancers' pose vectors as a camera turned ``yaw`` radians round the couple sees them.

    The stage view (yaw 0) is rotated about the vertical axis: positive yaw brings the
    screen-left dancer nearer. Positions turn with the floor, bodies turn away by ``yaw`` (so
    shoulders, hips and feet narrow), and hands' sideways reach shortens with the floor, so
    joined hands stay joined.
    """
    if not yaw:
        return poses
    c, s = math.cos(yaw), math.sin(yaw)
    out = poses.copy()
    x, z = poses[:, INDEX["x"]], poses[:, INDEX["z"]]
    out[:, INDEX["x"]] = x * c + z * s
    out[:, INDEX["z"]] = -x * s + z * c
    out[:, INDEX["turn"]] = poses[:, INDEX["turn"]] + yaw
    for hand in ("lhx", "rhx"):
        out[:, INDEX[hand]] = poses[:, INDEX[hand]] * c
    return out

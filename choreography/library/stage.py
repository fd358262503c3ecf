"""Drawing the dancing couple with Pillow: a light studio, a wooden floor, two figures.

The background is drawn once per size and copied per frame; the floor marks (where the feet
land, for the basics and the box) are worked out once per clip; each frame is a few dozen thick
lines and ellipses, returned as raw RGBA bytes for FFmpeg to encode (Pillow packs RGBA twice as fast
as RGB: it keeps pixels in four bytes anyway). The camera may be turned round the couple
(``yaw``: three-quarter or side views, choreography.library.poses.seen_from). The leader wears
blue, the follower red; joined hands are gold, and an arrow on the floor round the follower
shows which way she turns while she turns. Nothing is written on the frames (names and counts
belong to the player's overlay): the dancers' heads stay between ``HEAD_BAND`` of the height.
Pure CPU work: call it from a thread (see choreography.library.demo), never on the event loop.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from choreography.library.poses import (
    INDEX,
    Figure,
    Skeleton,
    interpolate,
    seen_from,
    skeleton,
)

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)
WALL_TOP, WALL_BOTTOM = (246, 241, 232), (226, 218, 204)
FLOOR_NEAR, FLOOR_FAR = (196, 160, 118), (221, 190, 150)
SKIN = (236, 192, 160)
LEADER = {
    "top": (38, 70, 140), "bottom": (44, 46, 58), "hair": (52, 40, 34), "skin": SKIN,
    "shoes": (24, 30, 60),
}  # fmt: skip
FOLLOWER = {
    "top": (206, 42, 78), "bottom": (206, 42, 78), "hair": (92, 50, 30), "skin": SKIN,
    "shoes": (120, 20, 40),
}  # fmt: skip
INK = (70, 62, 56)
JOINED = (240, 180, 30)
"""Joined hands (the lead and the connection), in every view."""
MARKS = {"leader": (92, 112, 170), "follower": (200, 96, 116)}
TURN_ARROW = (120, 40, 150)
JOIN_DISTANCE = 0.09
"""Hands nearer than this (world units) are drawn joined."""
HEAD_BAND = (0.22, 0.58)
"""The dancers' heads stay between these fractions of the frame's height, top down (measured:
24-57 %; standing heads about 24-35 %, the dip takes hers down to 57 %; raised hands reach 18 %,
feet 96 %; in every
figure and view: tests/library/test_demo_library.py checks it); the player's overlay of names
and counts goes above or below."""
FLOOR_AT, HEIGHT_UNITS = 0.86, 2.85
"""The floor line at depth 0 (fraction of the height) and the world units the height spans."""
DEPTH_DROP = 0.15
"""How far down the frame (fraction of its height) one unit nearer the camera is drawn: enough
for steps forward and back, and the box's square, to read on the floor."""
MODE, PIX_FMT = "RGBA", "rgba"
"""How frames are drawn and what FFmpeg is told they are."""


def font_of(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = next((p for p in FONT_CANDIDATES if Path(p).exists()), None)
    return ImageFont.truetype(path, size) if path else ImageFont.load_default()


class Stage:
    """Renders frames of one size; build one per clip size and reuse it for every frame."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.unit = height / HEIGHT_UNITS
        """Pixels per world unit at depth 0."""
        self.floor_y = height * FLOOR_AT
        self.background = self._background()
        self.marks: dict[tuple[str, float], list] = {}

    def _background(self) -> Image.Image:
        w, h = self.width, self.height
        image = Image.new(MODE, (w, h))
        draw = ImageDraw.Draw(image)
        horizon = int(h * 0.62)
        for y in range(h):
            if y < horizon:
                f = y / horizon
                top, bottom = WALL_TOP, WALL_BOTTOM
            else:
                f = (y - horizon) / max(1, h - horizon)
                top, bottom = FLOOR_FAR, FLOOR_NEAR
            draw.line(
                [(0, y), (w, y)],
                fill=tuple(round(a + (b - a) * f) for a, b in zip(top, bottom, strict=True)),
            )
        # Floor boards converging to the middle of the horizon, and a skirting board.
        for i in range(-12, 13):
            x_far = w / 2 + i * w / 26
            x_near = w / 2 + i * w / 9
            draw.line([(x_far, horizon), (x_near, h)], fill=(184, 148, 108), width=max(1, h // 360))
        draw.rectangle([0, horizon - max(2, h // 90), w, horizon], fill=(250, 248, 244))
        return image

    def project(self, point: tuple[float, float], z: float) -> tuple[float, float]:
        scale = self.unit * (1 + 0.2 * z)
        return (
            self.width / 2 + point[0] * scale,
            self.floor_y + z * self.height * DEPTH_DROP - point[1] * scale,
        )

    def floor_marks(self, figure: Figure, yaw: float) -> list[tuple[list[float], tuple, tuple]]:
        """(box, fill, outline) of a footprint wherever a foot is planted on a count, in the
        dancer's colour: worked out once per clip, drawn over the shadows on every frame."""
        key = (figure.name, yaw)
        if key in self.marks:
            return self.marks[key]
        seen: set[tuple[int, int, int]] = set()
        marks = []
        for count in range(figure.counts + 1):
            poses, _ = interpolate(figure, float(count))
            poses = seen_from(poses, yaw)
            for dancer, colour in enumerate(MARKS.values()):
                body = skeleton(poses[dancer], (0.0, 0.0))
                planted = (
                    poses[dancer][INDEX["lf_lift"]] == 0,
                    poses[dancer][INDEX["rf_lift"]] == 0,
                )
                for foot, down in zip(body.feet, planted, strict=True):
                    x, y = self.project((foot[0], 0.0), body.z)
                    spot = (dancer, round(x / max(1, self.unit * 0.04)), round(y))
                    if not down or spot in seen:
                        continue
                    seen.add(spot)
                    rx, ry = self.unit * 0.055, self.unit * 0.024
                    fill = tuple(round(c + (255 - c) * 0.55) for c in colour)
                    marks.append(([x - rx, y - ry, x + rx, y + ry], fill, colour))
        self.marks[key] = marks
        return marks

    def frame(
        self,
        figure: Figure,
        beat: float,
        *,
        yaw: float = 0.0,
        marks: bool = False,
    ) -> Image.Image:
        """The couple at ``beat`` counts into ``figure`` seen from ``yaw`` (with ``marks``, the
        figure's footprints on the floor)."""
        image = self.background.copy()
        draw = ImageDraw.Draw(image)
        poses, lifts = interpolate(figure, beat)
        poses = seen_from(poses, yaw)
        bodies = [skeleton(poses[i], lifts[i]) for i in range(2)]
        joined = _joined_hands(*bodies)
        for body in bodies:
            self._shadow(draw, body)
        for box, fill, outline in self.floor_marks(figure, yaw) if marks else ():
            draw.ellipse(box, fill=fill, outline=outline)
        self._turn_arrow(draw, figure, beat, yaw, bodies[1])
        dancers = [(bodies[0], LEADER, joined[0]), (bodies[1], FOLLOWER, joined[1])]
        for body, colours, hands in sorted(dancers, key=lambda d: d[0].z):
            self._dancer(draw, body, colours, follower=colours is FOLLOWER, joined=hands)
        return image

    def _turn_arrow(
        self, draw: ImageDraw.ImageDraw, figure: Figure, beat: float, yaw: float, body: Skeleton
    ) -> None:
        """While she turns, an arc on the floor round her feet, pointing the way she turns."""
        turn = INDEX["turn"]
        before = interpolate(figure, max(0.0, beat - 0.15))[0][1][turn]
        after = interpolate(figure, min(figure.counts, beat + 0.15))[0][1][turn]
        if abs(after - before) < 0.2:
            return
        cx, cy = self.project((body.hip[0], 0.0), body.z)
        rx, ry = self.unit * 0.36, self.unit * 0.09
        box = [cx - rx, cy - ry, cx + rx, cy + ry]
        width = max(2, round(self.unit * 0.025))
        # Pillow's angles run clockwise on screen; the front of the arc (nearer the camera)
        # is its lower half: 20..160 degrees.
        draw.arc(box, 20, 160, fill=TURN_ARROW, width=width)
        clockwise = after > before  # turning to her left, seen from the front
        end = math.radians(20 if clockwise else 160)
        tip = (cx + rx * math.cos(end), cy + ry * math.sin(end))
        back = 1 if clockwise else -1
        size = self.unit * 0.07
        draw.polygon(
            [
                (tip[0] - back * size, tip[1] - size * 0.6),
                (tip[0] - back * size, tip[1] + size * 0.6),
                (tip[0] + back * size * 0.2, tip[1]),
            ],
            fill=TURN_ARROW,
        )

    def _shadow(self, draw: ImageDraw.ImageDraw, body: Skeleton) -> None:
        cx, cy = self.project((body.hip[0], 0.0), body.z)
        rx, ry = self.unit * 0.3, self.unit * 0.05
        draw.ellipse([cx - rx, cy - ry, cx + rx, cy + ry], fill=(176, 140, 100))

    def _dancer(
        self,
        draw: ImageDraw.ImageDraw,
        body: Skeleton,
        colours: dict,
        *,
        follower: bool,
        joined: tuple[bool, bool] = (False, False),
    ) -> None:
        z = body.z
        scale = self.unit * (1 + 0.2 * z)

        def p(point: tuple[float, float]) -> tuple[float, float]:
            return self.project(point, z)

        def limb(points, colour, width: float) -> None:
            pixels = [p(point) for point in points]
            thickness = max(2, round(width * scale))
            draw.line(pixels, fill=colour, width=thickness, joint="curve")
            r = thickness / 2
            for x, y in (pixels[0], pixels[-1]):
                draw.ellipse([x - r, y - r, x + r, y + r], fill=colour)

        def dot(point, radius: float, colour) -> None:
            x, y = p(point)
            r = radius * scale
            draw.ellipse([x - r, y - r, x + r, y + r], fill=colour)

        # An arm whose hand is at the small of the back (a hammerlock) goes behind the body.
        arms = list(zip(body.shoulders, body.elbows, body.hands, strict=True))
        behind = [arm for arm in arms if _behind_back(body, arm[2])]

        def arm(shoulder, elbow, hand) -> None:
            limb([shoulder, elbow, hand], colours["top"], 0.065)
            if joined[body.hands.index(hand)]:
                dot(hand, 0.06, JOINED)
            else:
                dot(hand, 0.04, colours["skin"])

        for each in behind:
            arm(*each)
        # Legs, then feet (shoes).
        for hip, knee, foot in zip(body.hips, body.knees, body.feet, strict=True):
            limb([hip, knee, foot], colours["skin"] if follower else colours["bottom"], 0.075)
            fx, fy = p(foot)
            draw.ellipse(
                [fx - 0.06 * scale, fy - 0.03 * scale, fx + 0.06 * scale, fy + 0.02 * scale],
                fill=colours["shoes"],
            )
        # Torso: a quad from shoulders to hips (a skirt below for the follower).
        width = abs(body.facing)
        left_shoulder, right_shoulder = sorted(body.shoulders)
        left_hip, right_hip = sorted(body.hips)
        top = colours["top"]
        if follower:
            flare = 0.2 + 0.06 * width
            hem_y = body.hip[1] - 0.38
            skirt = [
                p(left_hip), p(right_hip),
                p((body.hip[0] + flare, hem_y)), p((body.hip[0] - flare, hem_y)),
            ]  # fmt: skip
            draw.polygon(skirt, fill=colours["bottom"])
        else:
            limb([left_hip, right_hip], colours["bottom"], 0.12)
        draw.polygon([p(left_shoulder), p(right_shoulder), p(right_hip), p(left_hip)], fill=top)
        limb([body.hip, body.chest, body.neck], top, 0.16 + 0.08 * width)
        limb([left_shoulder, right_shoulder], top, 0.1)
        # Head: hair at the back of it; seen from behind, all hair.
        head_r = 0.105
        if body.facing < -0.25:
            dot(body.head, head_r, colours["hair"])
        else:
            hair_shift = (-body.side * 0.35 * head_r, 0.03)
            dot(
                (body.head[0] + hair_shift[0], body.head[1] + hair_shift[1]),
                head_r,
                colours["hair"],
            )
            dot(body.head, head_r * 0.92, colours["skin"])
        if follower:  # a bun, on the side of the head away from the face
            bun = (body.head[0] - body.side * 0.09, body.head[1] + 0.07)
            dot(bun, 0.055, colours["hair"])
        # The other arms last, over the body, with hands.
        for each in arms:
            if each not in behind:
                arm(*each)


def _joined_hands(leader: Skeleton, follower: Skeleton) -> tuple[tuple[bool, bool], ...]:
    """Which of each dancer's hands (left, right) holds one of the other's."""

    def near(a: tuple[float, float], b: tuple[float, float]) -> bool:
        return math.dist(a, b) < JOIN_DISTANCE

    return (
        tuple(any(near(h, other) for other in follower.hands) for h in leader.hands),
        tuple(any(near(h, other) for other in leader.hands) for h in follower.hands),
    )  # type: ignore[return-value]


def _behind_back(body: Skeleton, hand: tuple[float, float]) -> bool:
    return abs(hand[0] - body.hip[0]) < 0.08 and body.hip[1] - 0.05 < hand[1] < body.chest[1]


def frames(
    stage: Stage,
    figure: Figure,
    *,
    tempo_bpm: float,
    fps: float,
    yaw: float = 0.0,
    marks: bool = False,
) -> Iterator[bytes]:
    """Raw frames (PIX_FMT) of ``figure`` danced at ``tempo_bpm``: one count per beat."""
    total = round(figure.counts * 60.0 / tempo_bpm * fps)
    for index in range(total):
        beat = index / fps * tempo_bpm / 60.0
        yield stage.frame(figure, beat, yaw=yaw, marks=marks).tobytes()

"""Drawing the dancing couple with Pillow: a light studio, a wooden floor, two figures.

The background is drawn once per size and copied per frame; each frame is a few dozen thick
lines and ellipses, returned as raw RGBA bytes for FFmpeg to encode (Pillow packs RGBA twice
as fast as RGB: it keeps pixels in four bytes anyway). Pure CPU work: call it
from a thread (see choreography.library.demo), never on the event loop.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from choreography.library.poses import LAND_AT, Figure, Skeleton, interpolate, skeleton

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)
WALL_TOP, WALL_BOTTOM = (246, 241, 232), (226, 218, 204)
FLOOR_NEAR, FLOOR_FAR = (196, 160, 118), (221, 190, 150)
SKIN = (236, 192, 160)
LEADER = {"top": (38, 70, 140), "bottom": (44, 46, 58), "hair": (52, 40, 34), "skin": SKIN}
FOLLOWER = {"top": (206, 42, 78), "bottom": (206, 42, 78), "hair": (92, 50, 30), "skin": SKIN}
INK = (70, 62, 56)
MODE, PIX_FMT = "RGBA", "rgba"
"""How frames are drawn and what FFmpeg is told they are."""


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = next((p for p in FONT_CANDIDATES if Path(p).exists()), None)
    return ImageFont.truetype(path, size) if path else ImageFont.load_default()


class Stage:
    """Renders frames of one size; build one per clip size and reuse it for every frame."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.unit = height / 2.45
        """Pixels per world unit at depth 0."""
        self.floor_y = height * 0.88
        self.background = self._background()
        self.font = _font(max(9, height // 24))

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
            self.floor_y + z * self.height * 0.07 - point[1] * scale,
        )

    def frame(self, figure: Figure, beat: float, label: str) -> Image.Image:
        """The couple at ``beat`` counts into ``figure``, with the label and the count."""
        image = self.background.copy()
        draw = ImageDraw.Draw(image)
        poses, lifts = interpolate(figure, beat)
        dancers = [
            (skeleton(poses[i], lifts[i]), colours) for i, colours in enumerate((LEADER, FOLLOWER))
        ]
        for body, _ in dancers:
            self._shadow(draw, body)
        for body, colours in sorted(dancers, key=lambda d: d[0].z):
            self._dancer(draw, body, colours, follower=colours is FOLLOWER)
        self._captions(draw, beat, label)
        return image

    def _shadow(self, draw: ImageDraw.ImageDraw, body: Skeleton) -> None:
        cx, cy = self.project((body.hip[0], 0.0), body.z)
        rx, ry = self.unit * 0.3, self.unit * 0.05
        draw.ellipse([cx - rx, cy - ry, cx + rx, cy + ry], fill=(176, 140, 100))

    def _dancer(
        self, draw: ImageDraw.ImageDraw, body: Skeleton, colours: dict, *, follower: bool
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
            dot(hand, 0.04, colours["skin"])

        for each in behind:
            arm(*each)
        # Legs, then feet (shoes).
        for hip, knee, foot in zip(body.hips, body.knees, body.feet, strict=True):
            limb([hip, knee, foot], colours["skin"] if follower else colours["bottom"], 0.075)
            fx, fy = p(foot)
            draw.ellipse(
                [fx - 0.06 * scale, fy - 0.03 * scale, fx + 0.06 * scale, fy + 0.02 * scale],
                fill=INK,
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

    def _captions(self, draw: ImageDraw.ImageDraw, beat: float, label: str) -> None:
        margin = self.height // 30
        count = math.floor(beat + 1 - LAND_AT) % 8 + 1
        draw.text((margin, margin), label, font=self.font, fill=INK)
        text = f"{count}"
        box = draw.textbbox((0, 0), text, font=self.font)
        x = self.width - margin - (box[2] - box[0]) - margin
        draw.rounded_rectangle(
            [x - margin // 2, margin // 2, self.width - margin, margin + box[3] + margin // 2],
            radius=margin // 2,
            fill=(255, 255, 255),
            outline=INK,
        )
        draw.text((x, margin), text, font=self.font, fill=INK)


def _behind_back(body: Skeleton, hand: tuple[float, float]) -> bool:
    return abs(hand[0] - body.hip[0]) < 0.08 and body.hip[1] - 0.05 < hand[1] < body.chest[1]


def frame_count(figure: Figure, *, tempo_bpm: float, fps: float) -> int:
    """How many frames ``frames`` draws: the figure's counts at ``tempo_bpm``."""
    return round(figure.counts * 60.0 / tempo_bpm * fps)


def frames(
    stage: Stage, figure: Figure, *, tempo_bpm: float, fps: float, label: str
) -> Iterator[bytes]:
    """Raw frames (PIX_FMT) of ``figure`` danced at ``tempo_bpm``: one count per beat."""
    for index in range(frame_count(figure, tempo_bpm=tempo_bpm, fps=fps)):
        beat = index / fps * tempo_bpm / 60.0
        yield stage.frame(figure, beat, label).tobytes()

"""A contact sheet of the demo library: a strip of frames of every demo move, labelled.

Drawn with the same stage as the clips (choreography.library.stage), so what it shows is what
the clips show, without encoding any video. ``manage.py demo_contact_sheet OUT.png`` saves it.
Pure CPU work: call it from a thread when on an event loop.
"""

from __future__ import annotations

from PIL import Image, ImageDraw

from choreography.library.demo_moves import (
    DEMO_FRAMING,
    DEMO_MOVES,
    MARKED_FIGURES,
    VIEWS,
    demo_move_of,
)
from choreography.library.figures import FIGURES
from choreography.library.stage import INK, Stage, font_of

STRIP_BEATS = {
    "basic-step": (1.0, 3.0, 5.4),
    "open-basic": (1.0, 3.0, 6.0),
    "forward-back-basic": (2.0, 4.0, 6.0),
    "box-step": (2.0, 4.0, 6.0),
    "cross-body-lead": (2.0, 3.5, 5.0),
    "outside-turn": (3.0, 5.3, 6.2),
    "inside-turn": (3.0, 5.3, 6.2),
    "double-turn": (5.3, 13.2, 14.2),
    "hammerlock": (3.5, 7.0, 14.0),
    "body-wave": (1.0, 2.0, 3.0),
    "dip": (3.0, 5.5, 6.5),
    "shadow-position": (1.0, 2.0, 3.0),
    "welcome": (1.0, 5.5, 7.0),
    "final-pose": (4.0, 10.0, 14.0),
}
"""The counts a strip shows of each figure: before, while and after it is most itself."""


def contact_sheet(width: int = 320, height: int = 180, columns: int = 2) -> Image.Image:
    """Every demo move (and the intro and outro) as a strip of three frames with its name,
    level, energy, style and tempo under it."""
    stage = Stage(width, height)
    names = [move.name for move in DEMO_MOVES] + [meta.name for meta in DEMO_FRAMING]
    metas = {m.name: m for m in (*[move.metadata() for move in DEMO_MOVES], *DEMO_FRAMING)}
    caption = max(14, height // 9)
    font = font_of(max(10, caption * 2 // 3))
    gap = 8
    cell_w, cell_h = 3 * width + 2 * 2, height + caption
    rows = -(-len(names) // columns)
    sheet = Image.new("RGB", (columns * cell_w + (columns - 1) * gap, rows * (cell_h + gap)))
    sheet.paste((255, 255, 255), (0, 0, *sheet.size))
    draw = ImageDraw.Draw(sheet)
    for index, name in enumerate(names):
        figure_name, view = demo_move_of(name)
        figure = FIGURES[figure_name]
        x0 = (index % columns) * (cell_w + gap)
        y0 = (index // columns) * (cell_h + gap)
        for k, beat in enumerate(STRIP_BEATS[figure_name]):
            frame = stage.frame(figure, beat, yaw=VIEWS[view], marks=figure_name in MARKED_FIGURES)
            sheet.paste(frame.convert("RGB"), (x0 + k * (width + 2), y0))
        meta = metas[name]
        text = (
            f"{meta.label} - {meta.difficulty}, {meta.energy_level}, {meta.style}, "
            f"{meta.tempo_bpm:.0f} BPM, {figure.counts} counts"
        )
        draw.text((x0 + 4, y0 + height + 2), text, font=font, fill=INK)
    return sheet

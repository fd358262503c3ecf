"""Generate from words: a generate request's description read into its parameters, and the
interpretation as the SSE events that come before the usual progress."""

from __future__ import annotations

from choreography.describe.service import describe
from choreography.errors import NotFoundError

SECTION_FIELDS = frozenset({"start_seconds", "end_seconds", "duration_seconds"})


async def interpreted_parameters(body) -> tuple[dict | None, dict]:
    """(the interpretation as JSON or None, the keyword arguments of prepare_generation).

    Without a description the body's fields are the parameters. With one, its reading gives
    the song, the parameters and the section (start_seconds / end_seconds / duration_seconds,
    snapped to phrases by generate), and any field the request also sent wins over the reading;
    a section sent with the request replaces the read one whole (a read length never joins a
    sent start and end).
    """
    fields = body.model_dump(exclude={"description"})
    if body.description is None:
        return None, fields
    reading = await describe(text=body.description)
    if reading.song.id is None:
        raise NotFoundError("no song to dance to: the catalog is empty", stage="interpretation")
    sent = body.model_dump(include=body.model_fields_set - {"description"})
    chosen = reading.parameters()
    if not sent.keys() & SECTION_FIELDS:
        chosen |= {k: v for k, v in reading.section_fields().items() if k in fields}
    return reading.model_dump(mode="json"), {**fields, **chosen, **sent}


def interpretation_events(reading: dict | None) -> list[tuple[str, dict]]:
    """One ``interpretation`` event per reasoning step, then ``interpreted`` with the whole."""
    if reading is None:
        return []
    steps = reading["steps"]
    return [
        ("interpretation", {"step": i, "steps": len(steps), "message": message})
        for i, message in enumerate(steps, 1)
    ] + [("interpreted", reading)]

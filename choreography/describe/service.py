"""The describe use case: load the catalog, ask the LLM when one is configured, else (or when
it fails) the built-in interpreter; a text with nothing known is a 400 that says what is
understood, with examples."""

from __future__ import annotations

import logging

from django.conf import settings

from choreography.describe.interpretation import CatalogSong, Interpretation, NotUnderstood
from choreography.describe.interpreter import interpret
from choreography.describe.llm import LlmUnavailable, interpret_with_llm
from choreography.errors import InvalidRequestError
from choreography.models import Song
from choreography.music.vocabulary import Difficulty, EnergyLevel, Style

logger = logging.getLogger(__name__)

EXAMPLES = (
    "something romantic and slow for beginners, about a minute",
    "lento, romántico, para principiantes",
    "fast and playful, advanced, the first 90 seconds",
    "algo de Aventura, nada sensual, dos minutos",
)
"""Shown on the page and in the 400 that answers a text the interpreter cannot read."""


def understood() -> dict[str, list[str] | str]:
    """What the interpreter can read, for the 400 answer."""
    return {
        "song": "a song title or an artist of the catalog (typos are fine)",
        "difficulty": [str(v) for v in Difficulty] + ["easy", "hard", "principiantes"],
        "energy_level": [str(v) for v in EnergyLevel] + ["calm", "intense", "tranquilo"],
        "style": [str(v) for v in Style] + ["fun", "sexy", "romántico"],
        "tempo": ["slow", "fast", "around 120 bpm", "lento", "rápido"],
        "length": ["a minute", "90 segundos", "the first two minutes", "from 0:30 to 1:30"],
        "negations": ["not too hard", "nada sensual"],
    }


async def load_catalog() -> list[CatalogSong]:
    fields = ("id", "title", "artist", "bpm", "genre", "duration_seconds")
    return [
        CatalogSong(
            id=song.pk,
            title=song.title,
            artist=song.artist,
            bpm=song.bpm,
            genre=song.genre,
            duration_seconds=song.duration_seconds,
        )
        async for song in Song.objects.only(*fields).order_by("id")
    ]


async def describe(*, text: str) -> Interpretation:
    """The interpretation of ``text``; InvalidRequestError (400) when nothing in it is known."""
    catalog = await load_catalog()
    config = settings.CHOREO
    reason = None
    if config.llm_base_url and text.strip():
        try:
            return await interpret_with_llm(
                text,
                catalog,
                base_url=config.llm_base_url,
                model=config.llm_model,
                api_key=config.llm_api_key,
                timeout_s=config.llm_timeout_s,
            )
        except LlmUnavailable as exc:
            reason = exc.reason
            logger.warning("LLM interpreter unavailable, using the built-in one: %s", reason)
    try:
        result = interpret(text, catalog)
    except NotUnderstood:
        raise InvalidRequestError(
            "could not understand the description",
            details={"understands": understood(), "examples": list(EXAMPLES)},
            stage="interpretation",
        ) from None
    if reason is not None:
        result.fallback_reason = reason
        result.steps.insert(0, f"the LLM did not answer ({reason}): the built-in interpreter did")
    return result

"""The optional LLM interpreter: an OpenAI-compatible chat endpoint asked with tool calling.

The tool's JSON schema is built from the vocabulary and the catalog (song ids, difficulties,
energies, styles), and the answer is validated with pydantic like any request. Anything that
goes wrong (no answer within the timeout, connection refused, an HTTP error, no tool call, an
answer that does not validate) raises LlmUnavailable with the reason; the caller then asks the
built-in interpreter (choreography.describe.service). No Django here.
"""

from __future__ import annotations

import asyncio
import json
from typing import Literal

import openai
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from choreography.describe.interpretation import (
    CatalogSong,
    Interpretation,
    Reading,
    SectionReading,
    SongReading,
)
from choreography.music.generator import Parameters
from choreography.music.vocabulary import (
    DIFFICULTIES,
    ENERGY_LEVELS,
    STYLES,
    Difficulty,
    EnergyLevel,
    Style,
)

TOOL = "choose_choreography"
DEFAULTS = Parameters()
FIELDS = ("song", "difficulty", "energy_level", "style", "section")
MAX_SONGS_IN_PROMPT = 200
"""Past this many songs the prompt lists only these and the schema asks for any integer id."""


class LlmUnavailable(Exception):
    """The endpoint did not give a usable answer; ``reason`` says why (timeout, error, invalid)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class LlmAnswer(BaseModel):
    """The tool call's arguments, validated like a request."""

    model_config = ConfigDict(extra="ignore")

    song_id: int
    difficulty: Literal[DIFFICULTIES]  # type: ignore[valid-type]
    energy_level: Literal[ENERGY_LEVELS]  # type: ignore[valid-type]
    style: Literal[STYLES] | None = None  # type: ignore[valid-type]
    start_seconds: float | None = Field(None, ge=0)
    end_seconds: float | None = Field(None, gt=0)
    duration_seconds: float | None = Field(None, gt=0)
    words: dict[str, list[str]] = Field(default_factory=dict)
    reasons: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _a_stretch_runs_forward(self) -> LlmAnswer:
        start, end = self.start_seconds, self.end_seconds
        if start is not None and end is not None and end <= start:
            raise ValueError("end_seconds must be after start_seconds")
        return self


def tool_schema(catalog: list[CatalogSong]) -> dict:
    """The function the model must call, its parameters drawn from the vocabulary and catalog."""
    ids = [song.id for song in catalog[:MAX_SONGS_IN_PROMPT]]
    song = {"type": "integer", "description": "id of a catalog song"}
    if len(catalog) <= MAX_SONGS_IN_PROMPT:
        song["enum"] = ids
    seconds = {"type": ["number", "null"], "minimum": 0}
    return {
        "type": "function",
        "function": {
            "name": TOOL,
            "description": "The song and parameters of the bachata choreography the dancer asked",
            "parameters": {
                "type": "object",
                "properties": {
                    "song_id": song,
                    "difficulty": {"type": "string", "enum": [str(v) for v in Difficulty]},
                    "energy_level": {"type": "string", "enum": [str(v) for v in EnergyLevel]},
                    "style": {"type": ["string", "null"], "enum": [*map(str, Style), None]},
                    "start_seconds": seconds,
                    "end_seconds": seconds,
                    "duration_seconds": seconds,
                    "words": {
                        "type": "object",
                        "description": "for each field, the dancer's words it came from",
                        "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    },
                    "reasons": {
                        "type": "object",
                        "description": "for each field, why it was chosen (or what was assumed)",
                        "additionalProperties": {"type": "string"},
                    },
                },
                "required": ["song_id", "difficulty", "energy_level"],
            },
        },
    }


def messages(text: str, catalog: list[CatalogSong]) -> list[dict]:
    songs = "\n".join(
        f"{s.id}: {s.title} — {s.artist} ({s.bpm:g} BPM, {s.genre}, {s.duration_seconds:.0f} s)"
        for s in catalog[:MAX_SONGS_IN_PROMPT]
    )
    system = (
        "You turn a dancer's description (English or Spanish) into the parameters of a "
        f"bachata choreography by calling {TOOL}. Choose a song from the catalog (the one "
        "named, else one whose tempo and energy fit). Defaults when the text is silent: "
        f"difficulty {DEFAULTS.difficulty}, energy {DEFAULTS.energy_level}, any style (null), "
        "the whole song (no seconds). Catalog (id: title — artist):\n" + songs
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": text}]


async def interpret_with_llm(
    text: str,
    catalog: list[CatalogSong],
    *,
    base_url: str,
    model: str,
    api_key: str,
    timeout_s: float,
) -> Interpretation:
    """Ask the endpoint; LlmUnavailable on a timeout, an error or an invalid answer."""
    client = openai.AsyncOpenAI(
        base_url=base_url, api_key=api_key or "none", timeout=timeout_s, max_retries=0
    )
    try:
        async with asyncio.timeout(timeout_s):
            reply = await client.chat.completions.create(
                model=model,
                messages=messages(text, catalog),
                tools=[tool_schema(catalog)],
                tool_choice={"type": "function", "function": {"name": TOOL}},
            )
    except (TimeoutError, openai.APITimeoutError):
        raise LlmUnavailable(f"no answer within {timeout_s:g} s") from None
    except openai.APIStatusError as exc:
        raise LlmUnavailable(f"the endpoint answered HTTP {exc.status_code}") from None
    except openai.APIConnectionError as exc:
        raise LlmUnavailable(f"cannot reach the endpoint ({type(exc).__name__})") from None
    except openai.OpenAIError as exc:
        raise LlmUnavailable(f"the endpoint failed ({type(exc).__name__})") from None
    finally:
        await client.close()
    return to_interpretation(text, _arguments(reply), catalog, model=model)


def _arguments(reply) -> LlmAnswer:
    try:
        calls = reply.choices[0].message.tool_calls or []
        call = next(c for c in calls if c.function.name == TOOL)
        return LlmAnswer.model_validate(json.loads(call.function.arguments))
    except (IndexError, StopIteration, AttributeError):
        raise LlmUnavailable(f"the answer has no {TOOL} call") from None
    except (ValueError, ValidationError) as exc:  # JSONDecodeError is a ValueError
        raise LlmUnavailable(f"invalid answer: {str(exc).splitlines()[0]}") from None


def to_interpretation(
    text: str, answer: LlmAnswer, catalog: list[CatalogSong], *, model: str
) -> Interpretation:
    """The validated answer as an Interpretation; a song outside the catalog is invalid."""
    song = next((s for s in catalog if s.id == answer.song_id), None)
    if song is None:
        raise LlmUnavailable(f"invalid answer: song {answer.song_id} is not in the catalog")
    assumptions: list[str] = []

    def reading(name: str, value: str | None, default: str | None) -> Reading:
        words = answer.words.get(name, [])
        assumed = not words and value == default
        why = answer.reasons.get(name) or (f"{value or 'any'}, the default" if assumed else "")
        if assumed:
            assumptions.append(f"{name}: {why}")
        return Reading(value=value, words=words, assumed=assumed, why=why or "chosen by the model")

    song_words = answer.words.get("song", [])
    section_words = answer.words.get("section", [])
    has_section = any(
        v is not None for v in (answer.start_seconds, answer.end_seconds, answer.duration_seconds)
    )
    result = Interpretation(
        text=text,
        interpreter="llm",
        song=SongReading(
            id=song.id,
            title=song.title,
            artist=song.artist,
            bpm=song.bpm,
            words=song_words,
            assumed=not song_words,
            why=answer.reasons.get("song") or f"«{song.title}», chosen by the model",
        ),
        difficulty=reading("difficulty", answer.difficulty, DEFAULTS.difficulty),
        energy_level=reading("energy_level", answer.energy_level, DEFAULTS.energy_level),
        style=reading("style", answer.style, DEFAULTS.style),
        tempo=Reading(value=None, assumed=True, why=f"the song's own tempo ({song.bpm:g} BPM)"),
        section=SectionReading(
            start_seconds=answer.start_seconds,
            end_seconds=answer.end_seconds,
            duration_seconds=answer.duration_seconds,
            words=section_words,
            assumed=not has_section,
            why=answer.reasons.get("section") or ("asked" if has_section else "the whole song"),
        ),
        assumptions=assumptions,
        steps=[f"asked the model {model}"],
    )
    result.steps += [
        f"song: {result.song.why}",
        f"difficulty {result.difficulty.value}: {result.difficulty.why}",
        f"energy {result.energy_level.value}: {result.energy_level.why}",
        f"style {result.style.value or 'any'}: {result.style.why}",
        f"length: {result.section.why}",
    ]
    return result

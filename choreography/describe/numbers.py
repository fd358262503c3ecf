"""Numbers in a description: a tempo in BPM, a length or a stretch of the song. Pure.

Digits or words, English or Spanish: "90 segundos", "two minutes", "1:30", "a minute and a
half", "minuto y medio", "the first minute", "from 0:30 to 1:30", "entre 1 y 2 minutos",
"around 120 bpm", "tempo of 110", "bpm 133", "el minuto 1", "the last minute", "un par de
minutos", "a minute fifteen", "minuto y cuarto". Units tolerate a typo ("2 minutso"). Tokens
read here are marked used, so a number is never read
twice (the "minute" of "beats per minute" is not a length).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from choreography.describe import lexicon as lx
from choreography.describe.text import Reader, Token


def _number_at(tokens: list[Token], i: int) -> tuple[float, int] | None:
    """The number starting at token ``i`` (digits or words, "ninety five", "noventa y cinco",
    "one hundred twenty") and the index after it, else None."""
    if i >= len(tokens):
        return None
    norm = tokens[i].norm
    if re.fullmatch(r"\d+(?:[.,]\d+)?", norm):
        return float(norm.replace(",", ".")), i + 1
    if "-" in norm or norm not in lx.NUMBER_WORDS:
        return None
    value, j = float(lx.NUMBER_WORDS[norm]), i + 1
    if norm in lx.PAIR_WORDS:  # "a couple of", "un par de"
        return value, j + (j < len(tokens) and tokens[j].norm in lx.PAIR_LINKS)
    if j < len(tokens) and tokens[j].norm in lx.HUNDRED_WORDS:
        value, j = value * 100, j + 1
    if value >= 100 and j < len(tokens) and tokens[j].norm in lx.NUMBER_WORDS:
        value, j = value + lx.NUMBER_WORDS[tokens[j].norm], j + 1
        if j < len(tokens) and tokens[j].norm in lx.NUMBER_WORDS and value % 10 == 0:
            value, j = value + lx.NUMBER_WORDS[tokens[j].norm], j + 1
    if value >= 20 and value % 10 == 0 and value < 100:
        k = j + 1 if j < len(tokens) and tokens[j].norm in lx.NUMBER_JOINS else j
        unit = lx.NUMBER_WORDS.get(tokens[k].norm, 0) if k < len(tokens) else 0
        if 0 < unit < 10:
            value, j = value + unit, k + 1
    return value, j


def bpm_asked(reader: Reader) -> tuple[float | None, list[str]]:
    """ "around 120 bpm", "a 128 beats per minute", "tempo of 130" → the BPM asked."""
    tokens = reader.tokens
    for i in range(len(tokens)):
        number = _number_at(tokens, i)
        if number is None or not 40 <= number[0] <= 250:
            continue
        value, j = number
        length = _bpm_unit_length(tokens, j)
        before = {t.norm for t in tokens[max(0, i - 3) : i]}
        unit_before = i > 0 and tokens[i - 1].norm in lx.BPM_UNITS  # "bpm 133"
        if length == 0 and not before & lx.TEMPO_NOUNS and not unit_before:
            continue
        i -= unit_before
        for token in tokens[i : j + length]:
            token.used = True
        words = reader.text(i, j + length)
        reader.steps.append(f'read "{words}" as a tempo of {value:g} BPM')
        return value, [words]
    return None, []


def _bpm_unit_length(tokens: list[Token], j: int) -> int:
    if j < len(tokens) and tokens[j].norm in lx.BPM_UNITS:
        return 1
    for phrase in lx.BPM_PHRASES:
        if tuple(t.norm for t in tokens[j : j + len(phrase)]) == phrase:
            return len(phrase)
    return 0


@dataclass
class Span:
    seconds: float
    start: int
    end: int
    unit: float = 1.0
    """Seconds per unit of the number read (60 for minutes): "del segundo 20 al 80"."""
    point: bool = False
    """A point of the song ("el minuto 1"), not a length."""


def _unit(tokens: list[Token], j: int) -> float | None:
    """Seconds per unit of the word at ``j`` (60 for a minute, 1 for a second), else None.
    A unit of 6+ letters may carry a typo ("minutso", "segudnos")."""
    if j >= len(tokens):
        return None
    norm = tokens[j].norm
    if norm in lx.MINUTE_UNITS:
        return 60.0
    if norm in lx.SECOND_UNITS:
        return 1.0
    if len(norm) >= 6:
        for units, seconds in ((lx.MINUTE_UNITS, 60.0), (lx.SECOND_UNITS, 1.0)):
            for unit in units:
                if len(unit) >= 6 and unit[:3] == norm[:3] and fuzz.ratio(norm, unit) >= 85:
                    return seconds
    return None


def _mark_at(tokens: list[Token], i: int) -> Span | None:
    """A point of the song named by its unit then its number: "el minuto 1", "from minute 1",
    "del segundo 20" (a definite article, or a from/to/between word, before the unit)."""
    j = i + (tokens[i].norm in lx.MARK_WORDS)
    before = tokens[j - 1].norm if j > 0 else ""
    unit = _unit(tokens, j)
    if unit is None or before not in lx.MARK_WORDS | lx.FROM_WORDS | lx.TO_WORDS | lx.BETWEEN_WORDS:
        return None
    number = _number_at(tokens, j + 1)
    if number is None:
        return None
    return Span(number[0] * unit, i, number[1], unit, point=True)


def _duration_at(tokens: list[Token], i: int) -> Span | None:
    """A duration starting at token ``i``: "90 segundos", "two minutes", "1:30", "a minute and
    a half", "minuto y medio", "half a minute", "1 min 30", "a couple of minutes", or a point
    of the song: "el minuto 1"."""
    if i >= len(tokens) or tokens[i].used:
        return None
    norm = tokens[i].norm
    if m := re.fullmatch(r"(\d+):(\d\d)", norm):
        return Span(int(m[1]) * 60 + int(m[2]), i, i + 1, 60.0)
    if mark := _mark_at(tokens, i):
        return mark
    if norm in lx.HALF_WORDS:  # half a minute, medio minuto
        j = i + 1 + (i + 1 < len(tokens) and tokens[i + 1].norm in lx.UNIT_ARTICLES)
        if _unit(tokens, j) == 60.0:
            return Span(30.0, i, j + 1, 60.0)
        return None
    number = _number_at(tokens, i)
    if number is not None:
        value, j = number
    elif norm in lx.UNIT_ARTICLES or norm in lx.MINUTE_UNITS | lx.SECOND_UNITS:
        value, j = 1.0, i + (norm in lx.UNIT_ARTICLES)
        if j < len(tokens) and tokens[j].norm in lx.FIRST_WORDS:
            j += 1  # "the first minute"
    else:
        return None
    value, j = _and_a_half(tokens, j, value)
    unit = _unit(tokens, j)
    if unit == 60.0:
        seconds, j = value * 60, j + 1
        half, j = _and_a_half(tokens, j, 0.0)
        seconds += half * 60
        extra = _number_at(tokens, j)
        if extra is not None and extra[0] < 60 and not half:
            k = extra[1]
            has_unit = _unit(tokens, k) == 1.0
            # "1 min 30", "a minute fifteen"; a lone "una"/"one" after it is not seconds,
            # nor a number after punctuation ("2 minutes, 8 couples")
            bare = tokens[j].norm.isdigit() or extra[0] >= 10
            if has_unit or (bare and not tokens[j].after_break):
                seconds, j = seconds + extra[0], k + has_unit
    elif unit == 1.0:
        seconds, j = value, j + 1
    else:
        return None
    return Span(seconds, i, j, unit)


def _and_a_half(tokens: list[Token], j: int, value: float) -> tuple[float, int]:
    """ "and a half" / "y medio" after a number or unit: adds 0.5; "and a quarter" / "y
    cuarto": 0.25."""
    words = [t.norm for t in tokens[j : j + 3]]
    for fractions, share in ((lx.HALF_WORDS, 0.5), (lx.QUARTER_WORDS, 0.25)):
        if len(words) == 3 and words[0] == "and" and words[1] == "a" and words[2] in fractions:
            return value + share, j + 3
        if len(words) >= 2 and words[0] in lx.NUMBER_JOINS and words[1] in fractions:
            return value + share, j + 2
    return value, j


@dataclass
class Section:
    start: float | None
    end: float | None
    duration: float | None
    words: str
    last: bool = False
    """The duration is the song's last seconds ("the last minute"): placed once a song is known."""


def section_asked(reader: Reader) -> Section | None:
    """The first length or stretch the text asks for."""
    tokens = reader.tokens
    for i in range(len(tokens)):
        span = _duration_at(tokens, i)
        if span is None:
            continue
        section = (
            _stretch(reader, span)
            or _one_end(reader, span)
            or Section(None, None, span.seconds, reader.text(span.start, span.end))
        )
        before = {t.norm for t in tokens[max(0, span.start - 2) : span.start]}
        if before & (lx.FIRST_WORDS | lx.LAST_WORDS) and section.duration is not None:
            section.words = reader.text(span.start - 1, span.end)
            section.last = bool(before & lx.LAST_WORDS)
        for token in tokens[span.start : span.end]:
            token.used = True
        return section
    return None


def _one_end(reader: Reader, span: Span) -> Section | None:
    """A time that is one end of the section: "from 1:00" (to the song's end), "from 1:00 for
    30 seconds", "hasta el minuto 2" (from the start), "el minuto 1" (a point: a start)."""
    tokens = reader.tokens
    back = 1 + (span.start > 1 and tokens[span.start - 1].norm in lx.MARK_WORDS)  # "hasta el"
    before = tokens[span.start - back].norm if span.start >= back else ""
    words = reader.text(max(0, span.start - back), span.end)
    if before in lx.UNTIL_WORDS:
        return Section(None, span.seconds, None, words)
    if before not in lx.START_WORDS and not (span.point and before not in lx.TO_WORDS):
        return None
    if span.end < len(tokens) and tokens[span.end].norm in lx.FOR_WORDS:
        length = _duration_at(tokens, span.end + 1)
        if length is not None and not length.point:
            for token in tokens[span.end : length.end]:
                token.used = True
            words = reader.text(max(0, span.start - 1), length.end)
            return Section(span.seconds, span.seconds + length.seconds, None, words)
    return Section(span.seconds, None, None, words) if span.seconds > 0 else None


def _stretch(reader: Reader, first: Span) -> Section | None:
    """ "from 0:30 to 1:30", "de 30 a 90 segundos", "between 1 and 2 minutes"."""
    tokens = reader.tokens
    before = tokens[first.start - 1].norm if first.start > 0 else ""
    if before not in lx.FROM_WORDS | lx.BETWEEN_WORDS:
        # "from 30 to 90 seconds": the first number has no unit of its own
        return _bare_stretch(reader, first)
    if first.end < len(tokens) and tokens[first.end].norm in lx.TO_WORDS:
        second = _duration_at(tokens, first.end + 1)
        bare = _number_at(tokens, first.end + 1)
        if second is None and bare is not None:  # "del segundo 20 al 80": the first's unit
            second = Span(bare[0] * first.unit, first.end + 1, bare[1], first.unit)
        if second is not None and second.seconds > first.seconds:
            for token in tokens[first.end : second.end]:
                token.used = True
            words = reader.text(first.start - 1, second.end)
            return Section(first.seconds, second.seconds, None, words)
    return None


def _bare_stretch(reader: Reader, span: Span) -> Section | None:
    tokens = reader.tokens
    # look for "<from> N <to>" just before the span: N shares the span's unit
    if span.start < 3 or tokens[span.start - 1].norm not in lx.TO_WORDS:
        return None
    number = _number_at(tokens, span.start - 2)
    if number is None or number[1] != span.start - 1:
        return None
    if tokens[span.start - 3].norm not in lx.FROM_WORDS | lx.BETWEEN_WORDS:
        return None
    unit_seconds = span.seconds / (_number_at(tokens, span.start) or (1.0, 0))[0]
    start = number[0] * unit_seconds
    if start >= span.seconds:
        return None
    for token in tokens[span.start - 3 : span.start]:
        token.used = True
    return Section(start, span.seconds, None, reader.text(span.start - 3, span.end))

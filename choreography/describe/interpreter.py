"""The built-in interpreter: a dancer's words in, an Interpretation out. Pure: no I/O.

It needs no network and no model. The text is split into words (accents and case folded);
song titles and artists of the catalog are found with fuzzy matching (rapidfuzz), the
vocabulary's values through the synonyms of ``lexicon`` (typos tolerated on longer words, a
doubled letter or two swapped letters on any, Spanish diminutives folded: "suavecito"),
numbers in words or digits become a length or a section, tempo words and "120 bpm" become a
song choice on the catalog's BPM, and a negation ("not too hard", "nada sensual") turns the
word after it in the same clause into its opposite ("no sé, algo romántico" negates nothing). Unknown words are ignored; a text with nothing known raises
NotUnderstood.
"""

from __future__ import annotations

import statistics

from rapidfuzz import fuzz

from choreography.describe import lexicon as lx
from choreography.describe.interpretation import (
    CatalogSong,
    Interpretation,
    NotUnderstood,
    Reading,
    SectionReading,
    SongReading,
)
from choreography.describe.numbers import Section, bpm_asked, section_asked
from choreography.describe.text import TOKEN, Hit, Reader, fold, tokenize
from choreography.music.generator import Parameters
from choreography.music.vocabulary import Difficulty, EnergyLevel, Style

DEFAULTS = Parameters()
"""The planner's own defaults: what is assumed where the text is silent."""
FUZZY_WORD_SCORE = 85
"""Least rapidfuzz ratio for a word of 5+ letters to count as a known word with a typo."""
TITLE_SCORE = 86
"""Least ratio for words of the text to count as a song title or an artist."""

PHRASES: list[tuple[tuple[str, ...], str, str]] = sorted(
    (
        (tuple(phrase.split()), kind, str(value))
        for kind, table in (
            ("difficulty", lx.DIFFICULTY_WORDS),
            ("energy", lx.ENERGY_WORDS),
            ("style", lx.STYLE_WORDS),
            ("tempo", lx.TEMPO_WORDS),
            ("whole", {"whole": lx.WHOLE_SONG_WORDS}),
        )
        for value, phrases in table.items()
        for phrase in phrases
    ),
    key=lambda item: -len(item[0]),
)
"""(words, kind, value), longest phrases first so "low energy" wins over a lone word."""
SINGLE_WORDS = {words[0]: (kind, value) for words, kind, value in PHRASES if len(words) == 1}


def interpret(text: str, catalog: list[CatalogSong]) -> Interpretation:
    """Read ``text`` against ``catalog``; NotUnderstood when it holds nothing known."""
    reader = Reader(tokenize(text))
    bpm_target, bpm_words = bpm_asked(reader)
    named, song_words, artist_songs = _named_song(reader, catalog)
    section = section_asked(reader)
    _find_phrases(reader)
    _mark_negations(reader)
    genres = _genres(reader, catalog)
    if not (reader.hits or named or artist_songs or section or bpm_target or genres):
        raise NotUnderstood(text)

    assumptions: list[str] = []
    difficulty = _difficulty(reader, assumptions)
    style = _style(reader, assumptions)
    tempo = _tempo(reader, bpm_target, bpm_words)
    energy = _energy(reader, tempo, style, assumptions)
    song = _song(
        named, song_words, artist_songs, genres, tempo, bpm_target, energy, section, catalog
    )
    if song.assumed:
        assumptions.append(song.why)
    section_reading = _section_reading(_placed(section, song, catalog), assumptions)
    steps = [
        *reader.steps,
        f"song: {song.why}",
        f"difficulty {difficulty.value}: {difficulty.why}",
        f"energy {energy.value}: {energy.why}",
        f"style {style.value or 'any'}: {style.why}",
        f"length: {section_reading.why}",
    ]
    return Interpretation(
        text=text,
        song=song,
        difficulty=difficulty,
        energy_level=energy,
        style=style,
        tempo=tempo,
        section=section_reading,
        assumptions=assumptions,
        steps=steps,
    )


# -- songs, artists and genres ------------------------------------------------------------


def _windows(reader: Reader, size: int):
    tokens = reader.tokens
    for i in range(len(tokens) - size + 1):
        window = tokens[i : i + size]
        if any(t.used for t in window) or all(t.norm in lx.STOPWORDS for t in window):
            continue
        yield i, " ".join(t.norm for t in window)


def _match(reader: Reader, name: str) -> tuple[float, int, int]:
    """Best (score, start, end) of ``name`` among the text's word windows."""
    key = fold(name).strip()
    words = TOKEN.findall(key)
    if not words:
        return 0.0, 0, 0
    key = " ".join(words)
    best = (0.0, 0, 0)
    for size in {max(1, len(words) - 1), len(words), len(words) + 1}:
        for i, window in _windows(reader, size):
            if len(window) < 4:
                continue
            score = fuzz.ratio(window, key)
            if size == 1 and len(words) == 1 and len(key) >= 6 and window[0] == key[0]:
                score = max(score, min(TITLE_SCORE, score + 6))  # one typo in a long word
            if score > best[0]:
                best = (score, i, i + size)
    if best[0] < TITLE_SCORE and len(words) > 1:
        for word in words:  # a distinctive word of the title alone: "Propuesta"
            if len(word) < 6 or word in lx.STOPWORDS or word in SINGLE_WORDS:
                continue
            for i, window in _windows(reader, 1):
                if fuzz.ratio(window, word) >= 90:
                    return float(TITLE_SCORE), i, i + 1
    return best


def _named_song(
    reader: Reader, catalog: list[CatalogSong]
) -> tuple[CatalogSong | None, list[str], list[CatalogSong]]:
    """The song the text names (by title), its words, and the songs of an artist it names."""
    best: tuple[float, CatalogSong | None, int, int] = (0.0, None, 0, 0)
    for song in catalog:
        score, start, end = _match(reader, song.title)
        if score >= TITLE_SCORE and score > best[0]:
            best = (score, song, start, end)
    named, words = best[1], []
    if named is not None:
        words = [reader.text(best[2], best[3])]
        for token in reader.tokens[best[2] : best[3]]:
            token.used = True
        reader.steps.append(f'read "{words[0]}" as the song «{named.title}» ({best[0]:.0f}% alike)')
    artists: dict[str, tuple[float, int, int]] = {}
    for song in catalog:
        if song.artist and fold(song.artist) not in artists:
            artists[fold(song.artist)] = _match(reader, song.artist)
    found = max(artists.items(), key=lambda item: item[1][0], default=None)
    if found is None or found[1][0] < TITLE_SCORE:
        return named, words, []
    _, start, end = found[1]
    for token in reader.tokens[start:end]:
        token.used = True
    words.append(reader.text(start, end))
    songs = [song for song in catalog if fold(song.artist) == found[0]]
    reader.steps.append(f'read "{words[-1]}" as the artist {songs[0].artist}')
    return named, words, songs


def _genres(reader: Reader, catalog: list[CatalogSong]) -> set[str]:
    """Catalog genres the text names (only when the catalog has more than one)."""
    genres = {fold(song.genre) for song in catalog if song.genre}
    if len(genres) < 2:
        return set()
    said = {t.norm for t in reader.tokens if not t.used}
    found = {genre for genre in genres if set(genre.split()) <= said}
    found = {g for g in found if not any(set(g.split()) < set(h.split()) for h in found)}
    if found:
        reader.steps.append(f"read the genre {', '.join(sorted(found))}")
    return found


# -- the vocabulary's words ---------------------------------------------------------------

FUZZY_KEYS = [word for word in SINGLE_WORDS if len(word) >= 5]
DIMINUTIVES = (("citos", ""), ("citas", ""), ("cito", ""), ("cita", ""), ("itos", "os"),
               ("itas", "as"), ("ito", "o"), ("ita", "a"), ("ito", ""), ("ita", ""))  # fmt: skip
"""Spanish diminutive endings and what they replace: "suavecito" → "suave", "rapidito" →
"rapido", "tranquilita" → "tranquila", "facilito" → "facil"."""


def _collapsed(word: str) -> str:
    """The word with each run of one letter written once: "fasst" → "fast"."""
    return "".join(c for i, c in enumerate(word) if i == 0 or word[i - 1] != c)


COLLAPSED_KEYS: dict[str, str] = {}
for _word in SINGLE_WORDS:
    COLLAPSED_KEYS.setdefault(_collapsed(_word), _word)


def _find_phrases(reader: Reader) -> None:
    tokens = reader.tokens
    i = 0
    while i < len(tokens):
        if tokens[i].used:
            i += 1
            continue
        for words, kind, value in PHRASES:
            end = i + len(words)
            if tuple(t.norm for t in tokens[i:end]) == words and not any(
                t.used for t in tokens[i:end]
            ):
                reader.hits.append(Hit(kind, value, i, end, reader.text(i, end)))
                i = end
                break
        else:
            norm = tokens[i].norm
            wordy = len(norm) >= 4 and norm not in lx.STOPWORDS and not norm[0].isdigit()
            if wordy and (found := _variant_of(norm)):
                kind, value = SINGLE_WORDS[found]
                reader.hits.append(Hit(kind, value, i, i + 1, tokens[i].word))
                reader.steps.append(f'read "{tokens[i].word}" as "{found}"')
            elif wordy and len(norm) >= 5 and (found := _closest_word(norm)):
                kind, value = SINGLE_WORDS[found]
                reader.hits.append(Hit(kind, value, i, i + 1, tokens[i].word))
                reader.steps.append(f'read "{tokens[i].word}" as "{found}" (a typo?)')
            i += 1


def _variant_of(norm: str) -> str | None:
    """The known word ``norm`` is a form of: a diminutive ("suavecito"), a doubled letter
    ("fasst") or two neighbouring letters swapped ("slwo"); else None."""
    for ending, base in DIMINUTIVES:
        stem = norm[: -len(ending)]
        if norm.endswith(ending) and len(stem) >= 3 and stem + base in SINGLE_WORDS:
            return stem + base
    if (found := COLLAPSED_KEYS.get(_collapsed(norm))) is not None:
        return found
    for k in range(1, len(norm) - 1):  # the first letter is kept: "slwo", not "lsow"
        swapped = norm[:k] + norm[k + 1] + norm[k] + norm[k + 2 :]
        if swapped in SINGLE_WORDS:
            return swapped
    return None


def _closest_word(norm: str) -> str | None:
    best, best_score = None, 0.0
    for key in FUZZY_KEYS:
        score = fuzz.ratio(norm, key)
        if score > best_score:
            best, best_score = key, score
    return best if best_score >= FUZZY_WORD_SCORE else None


def _mark_negations(reader: Reader) -> None:
    """A negation within NEGATION_REACH words before a known phrase (nothing else known, no
    "but" and no punctuation between, and not an idiom like "no sé") turns it into its
    opposite."""
    starts = {hit.start for hit in reader.hits}
    tokens = reader.tokens
    for hit in reader.hits:
        for back in range(1, lx.NEGATION_REACH + 1):
            j = hit.start - back
            if j < 0 or j in starts or tokens[j].norm in lx.CLAUSE_BREAKS:
                break
            if tokens[j + 1].after_break:
                break
            idiom = j + 1 < hit.start and tokens[j + 1].norm in lx.NOT_NEGATING
            if tokens[j].norm in lx.NEGATIONS and not idiom:
                hit.negated = True
                hit.words = reader.text(j, hit.end)
                break


def _pick(reader: Reader, kind: str) -> tuple[Hit | None, Hit | None]:
    """The first affirmed and the first negated hit of ``kind``."""
    hits = [hit for hit in reader.hits if hit.kind == kind]
    return (
        next((h for h in hits if not h.negated), None),
        next((h for h in hits if h.negated), None),
    )


NOT_LEVEL = {
    Difficulty.ADVANCED: Difficulty.INTERMEDIATE,
    Difficulty.BEGINNER: Difficulty.INTERMEDIATE,
    Difficulty.INTERMEDIATE: Difficulty.BEGINNER,
}
NOT_ENERGY = {
    EnergyLevel.HIGH: EnergyLevel.MEDIUM,
    EnergyLevel.LOW: EnergyLevel.MEDIUM,
    EnergyLevel.MEDIUM: EnergyLevel.LOW,
}


def _difficulty(reader: Reader, assumptions: list[str]) -> Reading:
    yes, no = _pick(reader, "difficulty")
    if yes:
        return Reading(value=yes.value, words=[yes.words], assumed=False, why=f'"{yes.words}"')
    if no:
        value = NOT_LEVEL[Difficulty(no.value)]
        why = f'"{no.words}": not {no.value}, so {value}'
        return Reading(value=value, words=[no.words], assumed=False, why=why)
    why = f"you did not say how hard: {DEFAULTS.difficulty}, the default"
    assumptions.append(why)
    return Reading(value=DEFAULTS.difficulty, assumed=True, why=why)


def _style(reader: Reader, assumptions: list[str]) -> Reading:
    yes, no = _pick(reader, "style")
    if yes:
        return Reading(value=yes.value, words=[yes.words], assumed=False, why=f'"{yes.words}"')
    if no:
        value = lx.NOT_STYLE[Style(no.value)]
        why = f'"{no.words}": not {no.value}, so {value}'
        return Reading(value=value, words=[no.words], assumed=False, why=why)
    why = "you named no style: moves of every style"
    assumptions.append(why)
    return Reading(value=DEFAULTS.style, assumed=True, why=why)


def _tempo(reader: Reader, bpm: float | None, bpm_words: list[str]) -> Reading:
    if bpm is not None:
        return Reading(value=f"{bpm:g} bpm", words=bpm_words, assumed=False, why="a tempo asked")
    yes, no = _pick(reader, "tempo")
    if yes:
        return Reading(value=yes.value, words=[yes.words], assumed=False, why=f'"{yes.words}"')
    if no:
        why = f'"{no.words}": neither slow nor fast'
        return Reading(value="medium", words=[no.words], assumed=False, why=why)
    return Reading(value=None, assumed=True, why="no tempo asked")


def _energy(reader: Reader, tempo: Reading, style: Reading, assumptions: list[str]) -> Reading:
    yes, no = _pick(reader, "energy")
    if yes:
        return Reading(value=yes.value, words=[yes.words], assumed=False, why=f'"{yes.words}"')
    if no:
        value = NOT_ENERGY[EnergyLevel(no.value)]
        why = f'"{no.words}": not {no.value}, so {value}'
        return Reading(value=value, words=[no.words], assumed=False, why=why)
    word = _pick(reader, "tempo")[0]
    pace = word.value if word else tempo.value
    if pace in ("slow", "fast"):
        value = EnergyLevel.LOW if pace == "slow" else EnergyLevel.HIGH
        why = f"you did not say the energy: {value}, to suit a {pace} song"
    elif style.value == Style.ENERGETIC and not style.assumed:
        value, why = EnergyLevel.HIGH, "you did not say the energy: high, to suit energetic"
    else:
        value = EnergyLevel(DEFAULTS.energy_level)
        why = f"you did not say the energy: {value}, the default"
    assumptions.append(why)
    return Reading(value=value, assumed=True, why=why)


# -- the song and the section -------------------------------------------------------------


def _song(
    named: CatalogSong | None,
    words: list[str],
    artist_songs: list[CatalogSong],
    genres: set[str],
    tempo: Reading,
    bpm: float | None,
    energy: Reading,
    section: Section | None,
    catalog: list[CatalogSong],
) -> SongReading:
    def reading(song: CatalogSong, *, assumed: bool, why: str) -> SongReading:
        return SongReading(
            id=song.id,
            title=song.title,
            artist=song.artist,
            bpm=song.bpm,
            words=words,
            assumed=assumed,
            why=why,
        )

    if named is not None:
        return reading(named, assumed=False, why=f"you named «{named.title}»")
    if not catalog:
        return SongReading(id=None, words=words, assumed=True, why="the catalog has no songs")
    candidates = artist_songs or list(catalog)
    if genres and (in_genre := [s for s in candidates if fold(s.genre) in genres]):
        candidates = in_genre
    needed = (section.end or (section.start or 0.0) + (section.duration or 0.0)) if section else 0.0
    if needed and (long_enough := [s for s in candidates if s.duration_seconds >= needed]):
        candidates = long_enough
    median = statistics.median(s.bpm for s in catalog)
    if bpm is not None:
        order, fits = (lambda s: abs(s.bpm - bpm)), f"nearest {bpm:g} BPM"
    else:
        want = tempo.value if not tempo.assumed else None
        fits = f"for a {want} tempo" if want else ""
        if want is None and not energy.assumed:
            want = {"low": "slow", "high": "fast"}.get(energy.value or "", "medium")
            fits = f"to suit {energy.value} energy"
        order = {
            "slow": lambda s: s.bpm,
            "fast": lambda s: -s.bpm,
        }.get(want or "", lambda s: abs(s.bpm - median))
        if want in ("medium", None):
            fits = fits or f"the catalog's middle tempo ({median:g} BPM)"
    song = min(candidates, key=lambda s: (order(s), s.id))
    scope = f"by {song.artist}" if artist_songs else "in the catalog"
    why = f"you named no song: «{song.title}» ({song.bpm:g} BPM) {scope}, {fits}"
    return reading(song, assumed=True, why=why.rstrip(", "))


def _placed(section: Section | None, song: SongReading, catalog: list[CatalogSong]):
    """A "last N seconds" section placed at the end of the chosen song, when its length is
    known: start = length - N, end = length. Any other section as it is."""
    if section is None or not section.last or section.duration is None:
        return section
    length = next((s.duration_seconds for s in catalog if s.id == song.id), 0.0)
    if not length or section.duration >= length:
        return section
    return Section(length - section.duration, length, None, section.words, last=True)


def _section_reading(section: Section | None, assumptions: list[str]) -> SectionReading:
    if section is None:
        why = "the whole song (you gave no length)"
        assumptions.append(why)
        return SectionReading(assumed=True, why=why)
    if section.duration is not None:
        why = f'"{section.words}": {section.duration:g} s from the first phrase'
    elif section.end is None:
        why = f'"{section.words}": from {section.start:g} s to the end of the song'
    elif section.start is None:
        why = f'"{section.words}": from the start of the song to {section.end:g} s'
    else:
        why = f'"{section.words}": from {section.start:g} s to {section.end:g} s'
    return SectionReading(
        start_seconds=section.start,
        end_seconds=section.end,
        duration_seconds=section.duration,
        words=[section.words],
        assumed=False,
        why=why,
    )

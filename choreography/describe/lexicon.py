"""The words the built-in interpreter knows, in English and Spanish, written without accents.

Values come from the vocabulary (choreography.music.vocabulary); this module only says which
words mean each value. Phrases are matched on whole normalized words (lowercase, accents
removed), so "romántico" and "romantico" are the same word; single words of 5+ letters also
match with a typo or two (see interpreter.FUZZY_WORD_SCORE).
"""

from __future__ import annotations

from choreography.music.vocabulary import Difficulty, EnergyLevel, Style

DIFFICULTY_WORDS: dict[str, tuple[str, ...]] = {
    Difficulty.BEGINNER: (
        "beginner", "beginners", "easy", "easier", "basic", "basics", "simple", "newbie",
        "newbies", "novice", "novices", "first time", "starting out", "just starting",
        "never danced", "entry level", "principiante", "principiantes", "facil", "faciles",
        "sencillo", "sencilla", "basico", "basica", "novato", "novatos", "novata", "iniciacion",
        "inicial", "empezando", "nivel bajo", "primera vez",
    ),
    Difficulty.INTERMEDIATE: (
        "intermediate", "intermediates", "medium level", "mid level", "moderate level",
        "some experience", "improvers", "improver", "intermedio", "intermedia", "intermedios",
        "nivel medio", "nivel intermedio",
    ),
    Difficulty.ADVANCED: (
        "advanced", "hard", "harder", "difficult", "expert", "experts", "challenging", "pro",
        "pros", "complex", "tricky", "avanzado", "avanzada", "avanzados", "dificil", "dificiles",
        "experto", "expertos", "complicado", "complicada", "nivel alto", "reto",
    ),
}  # fmt: skip

ENERGY_WORDS: dict[str, tuple[str, ...]] = {
    EnergyLevel.LOW: (
        "calm", "chill", "chilled", "relaxed", "relaxing", "gentle", "soft", "mellow",
        "low energy", "quiet", "peaceful", "smooth", "laid back", "tranquilo", "tranquila",
        "suave", "relajado", "relajada", "calmado", "calmada", "baja energia", "poca energia",
        "sereno", "serena", "pausado", "pausada",
    ),
    EnergyLevel.MEDIUM: (
        "medium energy", "moderate energy", "balanced", "normal energy", "steady",
        "energia media", "moderado", "moderada", "equilibrado", "equilibrada",
    ),
    EnergyLevel.HIGH: (
        "intense", "high energy", "lively", "powerful", "explosive", "party", "wild", "fiery",
        "full of energy", "hype", "intenso", "intensa", "alta energia", "mucha energia",
        "potente", "fiesta", "fiestero", "animado", "animada", "explosivo", "explosiva",
        "con fuerza", "salvaje",
    ),
}  # fmt: skip

STYLE_WORDS: dict[str, tuple[str, ...]] = {
    Style.ROMANTIC: (
        "romantic", "romance", "love", "loving", "tender", "sweet", "dreamy", "wedding",
        "anniversary", "romantico", "romantica", "amor", "tierno", "tierna", "dulce", "boda",
        "aniversario", "enamorados",
    ),
    Style.ENERGETIC: (
        "energetic", "dynamic", "spins", "turns", "spinning", "energico", "energica", "energetico", "energetica",
        "dinamico", "dinamica", "vueltas", "giros",
    ),
    Style.SENSUAL: (
        "sensual", "sensuous", "sexy", "seductive", "body waves", "body rolls", "sultry",
        "seductor", "seductora", "sensualidad", "ondas",
    ),
    Style.PLAYFUL: (
        "playful", "fun", "funny", "flirty", "cheeky", "cheerful", "joyful", "jugueton",
        "juguetona", "divertido", "divertida", "coqueto", "coqueta", "alegre", "picaro",
        "picara",
    ),
}  # fmt: skip

TEMPO_WORDS: dict[str, tuple[str, ...]] = {
    "slow": (
        "slow", "slower", "slowly", "slowest", "lento", "lenta", "lentos", "lentas", "despacio",
        "despacito", "lentito", "lentita", "no rush", "no hurry", "unhurried", "sin prisa",
        "sin prisas", "sin apuro", "sin afan",
    ),
    "medium": (
        "medium tempo", "moderate tempo", "mid tempo", "midtempo", "medium speed",
        "normal speed", "normal tempo", "tempo medio", "velocidad media", "velocidad normal",
        "ritmo medio", "ritmo normal",
    ),
    "fast": (
        "fast", "faster", "fastest", "quick", "quicker", "rapid", "upbeat", "speedy", "uptempo",
        "up tempo", "rapido", "rapida", "rapidos", "rapidas", "veloz", "acelerado",
        "acelerada", "movido", "movida",
    ),
}  # fmt: skip

NOT_STYLE: dict[str, str] = {
    Style.SENSUAL: Style.ROMANTIC,
    Style.ROMANTIC: Style.PLAYFUL,
    Style.ENERGETIC: Style.ROMANTIC,
    Style.PLAYFUL: Style.ROMANTIC,
}
"""A style the dancer refuses ("nada sensual") → the style chosen instead, when no other is named."""

WHOLE_SONG_WORDS = (
    "whole song", "full song", "entire song", "all of it", "cancion entera",
    "cancion completa", "toda la cancion", "entera", "completa",
)  # fmt: skip

NEGATIONS = frozenset(
    [
        "not",
        "no",
        "nothing",
        "without",
        "never",
        "dont",
        "don't",
        "avoid",
        "nada",
        "sin",
        "nunca",
        "ni",
        "evitar",
        "evita",
        "less",
        "isn't",
        "isnt",
        "nor",
        "menos",
    ]
)
"""A word that turns the next word the interpreter knows (within NEGATION_REACH words, in the
same clause: no punctuation between) into its opposite: "not too hard", "nada sensual",
"sin giros"."""
NEGATION_REACH = 3
NOT_NEGATING = frozenset(["se", "sure", "idea", "clue", "importa", "matter"])
"""After a negation, a word that makes it an idiom negating nothing the interpreter reads:
"no sé" / "not sure" (I don't know), "no idea", "no importa" / "no matter"."""
CLAUSE_BREAKS = frozenset(
    ["but", "pero", "though", "although", "aunque", "however", "sino", "instead"]
)

APPROXIMATELY = frozenset(
    [
        "about",
        "around",
        "approximately",
        "approx",
        "roughly",
        "nearly",
        "almost",
        "circa",
        "some",
        "unos",
        "unas",
        "cerca",
        "alrededor",
        "aproximadamente",
        "aprox",
        "casi",
        "como",
    ]
)
FIRST_WORDS = frozenset(
    ["first", "opening", "primer", "primero", "primera", "primeros", "primeras"]
)
LAST_WORDS = frozenset(
    ["last", "final", "closing", "ultimo", "ultimos", "ultima", "ultimas", "postrer", "postreros"]
)
"""Before a length, the end of the song: "the last minute", "los últimos 30 segundos"."""
FROM_WORDS = frozenset(["from", "de", "desde", "starting", "del"])
TO_WORDS = frozenset(["to", "until", "till", "a", "hasta", "and", "y", "through", "al"])
START_WORDS = frozenset(["from", "starting", "desde", "del"])
"""Before a time with no end after it, where the section starts: "from 1:00", "desde el minuto
1" ("de" is left out: "algo de 2 minutos" is a length)."""
UNTIL_WORDS = frozenset(["until", "till", "hasta"])
"""Before a time with no start: where the section ends ("until 1:30", "hasta el minuto 2")."""
FOR_WORDS = frozenset(["for", "durante", "por"])
"""Between a start and a length: "from 1:00 for 30 seconds"."""
MARK_WORDS = frozenset(["the", "el"])
"""Before a unit and a number (as FROM, TO and BETWEEN words are too), the unit names a point of
the song: "el minuto 1", "from minute 1", "del segundo 20" (not "a minute 30": a length)."""
BETWEEN_WORDS = frozenset(["between", "entre"])

SECOND_UNITS = frozenset(
    ["s", "sec", "secs", "second", "seconds", "seg", "segs", "segundo", "segundos", "segundito",
     "segunditos"]
)  # fmt: skip
MINUTE_UNITS = frozenset(
    ["m", "min", "mins", "minute", "minutes", "minuto", "minutos", "minutito", "minutitos"]
)
BPM_UNITS = frozenset(["bpm", "bpms", "ppm"])
BPM_PHRASES = (
    ("beats", "per", "minute"), ("beats", "a", "minute"), ("beats", "per", "min"),
    ("pulsos", "por", "minuto"), ("golpes", "por", "minuto"), ("tiempos", "por", "minuto"),
    ("beats",), ("pulsos",),
)  # fmt: skip
TEMPO_NOUNS = frozenset(["tempo", "ritmo", "velocidad", "speed", "pace"])

HALF_WORDS = frozenset(["half", "medio", "media"])
QUARTER_WORDS = frozenset(["quarter", "cuarto"])
"""After "and a" / "y": a quarter of the unit ("a minute and a quarter", "minuto y cuarto")."""
PAIR_WORDS = frozenset(["couple", "par", "pair"])
"""Two, with an "of"/"de" before the unit: "a couple of minutes", "un par de minutos"."""
PAIR_LINKS = frozenset(["of", "de"])
UNIT_ARTICLES = frozenset(["a", "an", "un", "una", "the", "el", "la"])
"""An article before a unit counts one: "about a minute", "el primer minuto"."""

NUMBER_WORDS: dict[str, int] = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "couple": 2, "pair": 2, "par": 2,
    "cero": 0, "uno": 1, "un": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5,
    "seis": 6, "siete": 7, "ocho": 8, "nueve": 9, "diez": 10, "once": 11, "doce": 12,
    "trece": 13, "catorce": 14, "quince": 15, "dieciseis": 16, "diecisiete": 17,
    "dieciocho": 18, "diecinueve": 19, "veinte": 20, "veintiuno": 21, "veintidos": 22,
    "veintitres": 23, "veinticuatro": 24, "veinticinco": 25, "veintiseis": 26,
    "veintisiete": 27, "veintiocho": 28, "veintinueve": 29, "treinta": 30, "cuarenta": 40,
    "cincuenta": 50, "sesenta": 60, "setenta": 70, "ochenta": 80, "noventa": 90,
    "cien": 100, "ciento": 100,
}  # fmt: skip
HUNDRED_WORDS = frozenset({"hundred"})
NUMBER_JOINS = frozenset({"and", "y"})

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "to",
        "for",
        "of",
        "by",
        "and",
        "or",
        "with",
        "in",
        "on",
        "me",
        "my",
        "i",
        "we",
        "us",
        "our",
        "some",
        "something",
        "song",
        "songs",
        "choreo",
        "choreography",
        "dance",
        "dancing",
        "bachata",
        "la",
        "el",
        "los",
        "las",
        "de",
        "del",
        "para",
        "por",
        "con",
        "un",
        "una",
        "algo",
        "que",
        "quiero",
        "queremos",
        "una",
        "cancion",
        "baile",
        "bailar",
        "please",
        "want",
        "would",
        "like",
        "make",
        "give",
    ]
)
"""Words that alone never name a song or an artist."""

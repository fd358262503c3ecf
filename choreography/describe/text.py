"""The text as words: each folded (lowercase, no accents) and kept as written. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from unidecode import unidecode

TOKEN = re.compile(r"\d+(?:[.,:]\d+)?|[^\W\d_]+(?:'[^\W\d_]+)?")
PUNCTUATION_BREAK = re.compile(r"[,;.!?()\[\]:/\n]")
"""A mark between two words that ends a clause: a negation does not reach across it."""


@dataclass
class Token:
    norm: str
    word: str
    used: bool = False
    after_break: bool = False
    """A punctuation mark ("no sé, algo romántico") stands between this word and the one before."""


@dataclass
class Hit:
    """A known phrase found in the text."""

    kind: str  # difficulty, energy, style, tempo, whole
    value: str
    start: int
    end: int
    words: str
    negated: bool = False


@dataclass
class Reader:
    tokens: list[Token]
    hits: list[Hit] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)

    def text(self, start: int, end: int) -> str:
        return " ".join(t.word for t in self.tokens[start:end])


def fold(text: str) -> str:
    """Lowercase without accents: "Romántico" → "romantico"."""
    return unidecode(text).lower()


def tokenize(text: str) -> list[Token]:
    tokens, last = [], 0
    for m in TOKEN.finditer(text):
        gap = text[last : m.start()]
        tokens.append(
            Token(
                fold(m.group()).replace("'", ""),
                m.group(),
                after_break=bool(PUNCTUATION_BREAK.search(gap)),
            )
        )
        last = m.end()
    return tokens

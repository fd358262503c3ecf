"""The ``Content-Disposition`` header a download is named by (RFC 6266, filename* per RFC 8187).

Built in one place for both backends: the app's media route sends it for local storage, and S3
sends it because the presigned link asks for it (``response-content-disposition``). Any name is
safe here: the quoted ``filename`` is an ASCII slug (no quote, backslash or control character
can reach the header) and the exact name, accents and all, travels percent-encoded in
``filename*``, which every current browser prefers.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

FALLBACK_STEM = "download"
MAX_STEM = 120
EXTENSION = re.compile(r"[A-Za-z0-9]{1,5}")


def ascii_filename(name: str) -> str:
    """``name`` as a lowercase ASCII slug, its extension kept: "Obsesión «Live».mp4" ->
    "obsesion-live.mp4"."""
    stem, dot, suffix = name.rpartition(".")
    if not (dot and stem and EXTENSION.fullmatch(suffix)):
        stem, suffix = name, ""
    slug = _slug(stem)[:MAX_STEM].strip("-") or FALLBACK_STEM
    return f"{slug}.{suffix.lower()}" if suffix else slug


def _slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")


def content_disposition(filename: str, *, attachment: bool = False) -> str:
    """``inline; filename="..."`` (``attachment`` to save rather than play), plus ``filename*``
    when the exact name is not the ASCII one."""
    kind = "attachment" if attachment else "inline"
    fallback = ascii_filename(filename)
    exact = "".join(c for c in filename if c.isprintable()).strip()
    header = f'{kind}; filename="{fallback}"'
    if exact and exact != fallback:
        header += f"; filename*=UTF-8''{quote(exact, safe='')}"
    return header

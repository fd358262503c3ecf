"""Links to a generation's stored pictures, made like its video link (no encoding per request)."""

from __future__ import annotations

from choreography.api.responses import absolute_url
from storage import Storage


def poster_url(storage: Storage, result: dict | None) -> str | None:
    """The poster of a generation's first danced move: a signed local link or a presigned S3
    URL, valid as long as its video link; None when its moves had no poster (imported before
    posters existed)."""
    key = (result or {}).get("poster_key")
    return absolute_url(storage.url(key)) if key else None

"""Where the files as imported are kept: ``library/originals/<kind>/<content hash>.<extension>``.

One folder per kind: the same file imported as a song and as a clip keeps two originals, so
deleting one never takes the other's.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

SUFFIX = re.compile(r"^\.[a-z0-9]{1,8}$")


def original_key(kind: Literal["songs", "clips"], content_hash: str, source: Path) -> str:
    """The storage key of an imported file; its extension is kept when it is a plain one."""
    suffix = source.suffix.lower()
    suffix = suffix if SUFFIX.match(suffix) else ".bin"
    return f"library/originals/{kind}/{content_hash[:24]}{suffix}"

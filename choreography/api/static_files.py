"""Static files through servestatic: only the files collected at start-up are ever served.

servestatic indexes the files once, when the middleware is built, and answers a request by a
dictionary lookup of its path: a URL that is not one of those paths (absolute, ``..``,
percent-encoded, backslash, NUL, a symlink planted later) finds nothing, by construction. It
streams the file, answers ETag/Last-Modified with 304, and serves the gzip variant that
``collectstatic`` wrote (``CompressedStaticFilesStorage`` below) to clients that accept it. ``manage.py serve`` collects into STATIC_ROOT before it starts; without a collected
root (tests, a bare uvicorn) the app's own static folders are indexed instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from servestatic.middleware import ServeStaticMiddleware
from servestatic.storage import CompressedStaticFilesStorage as ServeStaticStorage

VARIANT_SUFFIXES = (".gz", ".br", ".zstd")


def has_collected_files(root: Path | str | None) -> bool:
    return bool(root) and (Path(root) / "choreography").is_dir()


class StaticFilesMiddleware(ServeStaticMiddleware):
    """ServeStatic over the collected root when there is one, else over the app folders."""

    def __init__(self, get_response=None, settings=settings) -> None:
        collected = has_collected_files(getattr(settings, "STATIC_ROOT", None))
        self.use_collected = collected
        super().__init__(get_response, settings=_Overrides(settings, use_finders=not collected))


class _Overrides:
    """The Django settings with SERVESTATIC_USE_FINDERS decided at start-up."""

    def __init__(self, wrapped, *, use_finders: bool) -> None:
        self._wrapped = wrapped
        self.SERVESTATIC_USE_FINDERS = use_finders

    def __getattr__(self, name: str):
        return getattr(self._wrapped, name)


class CompressedStaticFilesStorage(ServeStaticStorage):
    """servestatic's storage, compressing only the files this ``collectstatic`` (re)copied.

    ``serve`` collects at every start: collectstatic skips the unchanged files, but servestatic
    would gzip all 140 of them again at level 9 (0.7 CPU-seconds a start). A variant it wrote
    carries the mtime of the file it was made from; a file collected anew has a later one.
    """

    def post_process(
        self, paths: dict[str, Any], dry_run: bool = False, **options: Any
    ) -> Iterator:
        changed = {path: found for path, found in paths.items() if not self.compressed(path)}
        yield from super().post_process(changed, dry_run, **options)

    def compressed(self, path: str) -> bool:
        """A variant of the collected ``path`` was made from it (not from an older copy)."""
        full = Path(self.path(path))
        try:
            mtime = full.stat().st_mtime
        except FileNotFoundError:
            return False
        for suffix in VARIANT_SUFFIXES:
            variant = full.with_name(full.name + suffix)
            # Set from the float st_mtime (servestatic's write_data): equal to within rounding.
            if variant.exists() and abs(variant.stat().st_mtime - mtime) < 1e-3:
                return True
        return False

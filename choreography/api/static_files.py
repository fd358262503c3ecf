"""Static files through servestatic: only the files collected at start-up are ever served.

servestatic indexes the files once, when the middleware is built, and answers a request by a
dictionary lookup of its path: a URL that is not one of those paths (absolute, ``..``,
percent-encoded, backslash, NUL, a symlink planted later) finds nothing, by construction. It
streams the file, answers ETag/Last-Modified with 304, and serves the gzip variant that
``collectstatic`` wrote (``CompressedStaticFiles``) to clients that accept it. ``manage.py serve`` collects into STATIC_ROOT before it starts; without a collected
root (tests, a bare uvicorn) the app's own static folders are indexed instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from servestatic.middleware import ServeStaticMiddleware
from servestatic.storage import CompressedStaticFilesStorage, get_compressor_kwargs


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


class CompressedStaticFiles(CompressedStaticFilesStorage):
    """servestatic's compressing storage that leaves up-to-date variants alone.

    collectstatic post-processes every static file, copied or not, so each ``serve`` start
    re-gzipped them all (level 9, ~0.4 s CPU). servestatic gives a variant its source's mtime:
    a file whose variants all carry the mtime of its collected copy is skipped; a copy that
    collectstatic rewrote, or one with a variant missing, is compressed again.
    """

    def post_process(
        self, paths: dict[str, Any], dry_run: bool = False, **options: Any
    ) -> Iterator[tuple[str, str | None, bool | Exception]]:
        used = self.create_compressor(**get_compressor_kwargs(quiet=True))
        suffixes = [
            suffix
            for suffix, on in (
                (".gz", used.use_gzip),
                (".br", used.use_brotli),
                (".zstd", used.use_zstd),
            )
            if on
        ]
        stale = {name: found for name, found in paths.items() if not self._fresh(name, suffixes)}
        yield from super().post_process(stale, dry_run=dry_run, **options)

    def _fresh(self, name: str, suffixes: list[str]) -> bool:
        path = Path(self.path(name))
        mtime = path.stat().st_mtime
        variants = [path.with_name(path.name + suffix) for suffix in suffixes]
        return all(v.exists() and v.stat().st_mtime == mtime for v in variants)

"""Static files through servestatic: only the files collected at start-up are ever served.

servestatic indexes the files once, when the middleware is built, and answers a request by a
dictionary lookup of its path: a URL that is not one of those paths (absolute, ``..``,
percent-encoded, backslash, NUL, a symlink planted later) finds nothing, by construction. It
streams the file, answers ETag/Last-Modified with 304, and serves the gzip variant that
``collectstatic`` wrote (``servestatic.storage.CompressedStaticFilesStorage``) to clients that
accept it. ``manage.py serve`` collects into STATIC_ROOT before it starts; without a collected
root (tests, a bare uvicorn) the app's own static folders are indexed instead.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from servestatic.middleware import ServeStaticMiddleware


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

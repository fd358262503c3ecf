"""A throwaway Django set-up for the benchmarks: a fresh data dir, local storage, quiet logs."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def django_in_a_fresh_data_dir(prefix: str, **env: str) -> Iterator[Path]:
    """Point the app at a new data dir (plus ``env``), set Django up, remove the dir after."""
    data_dir = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ.update(
        {
            "CHOREO_DATA_DIR": str(data_dir),
            "CHOREO_LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "asgi_project.settings",
            "STORAGE_BACKEND": "local",
            **env,
        }
    )
    import django

    django.setup()
    try:
        yield data_dir
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)

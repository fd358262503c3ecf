"""Test settings: the real settings, pointed at a throw-away data directory."""

import atexit
import os
import shutil
import tempfile

_data_dir = tempfile.mkdtemp(prefix="choreo-test-")
os.environ["CHOREO_DATA_DIR"] = _data_dir
os.environ.setdefault("CHOREO_VIDEO_SIZE", "320x180")
os.environ.setdefault("CHOREO_LOG_LEVEL", "WARNING")
atexit.register(shutil.rmtree, _data_dir, ignore_errors=True)

from asgi_project.settings import *  # noqa: E402, F403

# In-process requests come from Django's test client, whose host is "testserver".
CHOREO = CHOREO.model_copy(update={"public_url": "http://testserver"})  # noqa: F405

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    # The same backend with a flush that deletes rows instead of truncating tables (see there).
    DATABASES["default"]["ENGINE"] = "tests.postgresql_fast_flush"  # noqa: F405

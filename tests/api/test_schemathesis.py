"""Schemathesis against the live OpenAPI schema of a real server: every check it has (no 5xx,
status codes, content types, headers and bodies as documented, invalid data refused, valid data
accepted, auth not ignored...) over at least 500 generated requests.

Two runs keep it cheap: generate (each accepted request assembles a real video of a few
seconds) with few examples per phase, and the read operations with many.
"""

from __future__ import annotations

import collections
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.live import cached_template, copy_data_dir, start_server

MIN_REQUESTS = 500
SLICES = {
    # JSON Schema's "integer" admits 2.0; the API refuses it on purpose (strict bodies, see
    # test_security), so "schema-valid data is accepted" cannot hold for the generate body.
    # /api/auth/ is left out of the POST slice: log-out would revoke the token every other
    # request uses, and sign-up/log-in are throttled (tests/accounts/test_accounts_api.py covers them).
    "generate": [
        "--include-method",
        "POST",
        "--exclude-path-regex",
        "^/api/auth/",
        "--max-examples",
        "15",
        "--exclude-checks",
        "positive_data_acceptance",
    ],
    "reads": ["--include-method", "GET", "--max-examples", "20"],
}


@pytest.fixture(scope="module")
def server(live_template, tmp_path_factory):
    data_dir = copy_data_dir(live_template, tmp_path_factory.mktemp("schemathesis") / "data")
    server = start_server(data_dir, CHOREO_LOG_LEVEL="WARNING")
    yield server
    server.stop()


UNICODE_TABLES = (
    "import warnings; warnings.simplefilter('ignore'); from hypothesis import strategies as st; "
    "st.text(st.characters(codec='utf-8')).example()"
)
"""Makes Hypothesis write the Unicode tables Schemathesis's strings are drawn from (the
character categories, and what UTF-8 encodes) to ./.hypothesis/unicode_data."""


@pytest.fixture
def workdir(tmp_path) -> Path:
    """Schemathesis's working directory, its .hypothesis/ holding Hypothesis's Unicode tables.

    Hypothesis keeps them in .hypothesis/ of the working directory; computing the UTF-8 one
    (every code point encoded) costs ~1.5 CPU s, so it is done once per cache key and copied
    here. Nothing else is: the example database Schemathesis writes there starts empty.
    """

    def build(root: Path) -> None:
        subprocess.run([sys.executable, "-c", UNICODE_TABLES], cwd=root, check=True, timeout=120)

    tables = cached_template("hypothesis-unicode", build) / ".hypothesis" / "unicode_data"
    shutil.copytree(tables, tmp_path / ".hypothesis" / "unicode_data")
    return tmp_path


def run_schemathesis(server, har, options: list[str]) -> list[dict]:
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", f"{server.base}/api/openapi.json",
        "--checks", "all",
        "--header", f"Authorization: Bearer {server.tokens['alice']}",
        "--seed", "20261126",
        "--workers", "1",  # Hypothesis's lambda-source cache is not thread-safe: a flaky "AST recursion depth mismatch"
        "--request-timeout", "60",
        "--report", "har", "--report-har-path", str(har),
        "--no-color",
        *options,
    ]  # fmt: skip
    # cwd: Schemathesis keeps a .schemathesis/ cache, Hypothesis a .hypothesis/ one, in its
    # working directory.
    result = subprocess.run(command, cwd=har.parent, capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-8000:]
    return json.loads(har.read_text())["log"]["entries"]


def test_schemathesis_finds_no_server_error_and_no_schema_violation(server, workdir):
    entries = []
    for name, options in SLICES.items():
        entries += run_schemathesis(server, workdir / f"{name}.har", options)
    statuses = collections.Counter(entry["response"]["status"] for entry in entries)
    print(f"schemathesis: {len(entries)} requests, statuses {dict(sorted(statuses.items()))}")
    assert len(entries) >= MIN_REQUESTS
    assert not [status for status in statuses if status >= 500]
    assert statuses[200] > 0 and statuses[400] > 0, "both valid and invalid data were sent"

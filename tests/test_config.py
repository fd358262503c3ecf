"""Settings are validated once at start-up; every bad variable is named on its own line."""

import json
import logging

import pytest
from django.test import AsyncClient

from choreography.config import ConfigError, load_config
from choreography.logcontext import ContextFilter, JsonFormatter, task_id_var


def test_defaults_are_the_embedded_demo():
    config = load_config({})
    assert config.env == "demo"
    assert config.storage_backend == "local"
    assert config.assembly_timeout_s == 600
    assert config.video_dimensions == (640, 360)
    assert not config.json_logs


@pytest.mark.parametrize(
    ("environ", "fragment"),
    [
        ({"CHOREO_ASSEMBLY_TIMEOUT_S": "soon"}, "CHOREO_ASSEMBLY_TIMEOUT_S='soon'"),
        ({"CHOREO_ASSEMBLY_TIMEOUT_S": "-1"}, "greater than 0"),
        ({"CHOREO_VIDEO_SIZE": "1280*720"}, "expected WIDTHxHEIGHT"),
        ({"CHOREO_VIDEO_SIZE": "1281x720"}, "must be even"),
        ({"STORAGE_BACKEND": "ftp"}, "STORAGE_BACKEND='ftp'"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL='mysql://x'"),
        ({"CHOREO_MAX_CONCURRENT_ASSEMBLIES": "0"}, "CHOREO_MAX_CONCURRENT_ASSEMBLIES='0'"),
        ({"CHOREO_ENV": "production"}, "SECRET_KEY: required"),
        ({"CHOREO_ENV": "production", "SECRET_KEY": "x" * 40, "DEBUG": "1"}, "DEBUG: must be off"),
        ({"CHOREO_LOG_LEVEL": "LOUD"}, "CHOREO_LOG_LEVEL='LOUD'"),
    ],
)
def test_bad_values_name_the_variable(environ, fragment):
    with pytest.raises(ConfigError) as caught:
        load_config(environ)
    assert fragment in str(caught.value)


def test_each_bad_variable_gets_its_own_line():
    with pytest.raises(ConfigError) as caught:
        load_config({"CHOREO_VIDEO_FPS": "fast", "CHOREO_VIDEO_SIZE": "big"})
    lines = str(caught.value).splitlines()[1:]
    assert len(lines) == 2
    assert any(line.strip().startswith("CHOREO_VIDEO_FPS=") for line in lines)
    assert any(line.strip().startswith("CHOREO_VIDEO_SIZE=") for line in lines)


def test_production_gets_json_logs():
    config = load_config({"CHOREO_ENV": "production", "SECRET_KEY": "k" * 40})
    assert config.json_logs


def test_json_log_lines_carry_context_and_extras():
    """A record logged inside a task context is one JSON object with task id and extras."""
    token = task_id_var.set("task-123")
    try:
        record = logging.LogRecord(
            "assembly.service", logging.INFO, __file__, 1, "done %s", ("x",), None
        )
        record.stage_seconds = {"fetching": 0.1}
        ContextFilter().filter(record)
    finally:
        task_id_var.reset(token)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "done x"
    assert line["task_id"] == "task-123"
    assert line["stage_seconds"] == {"fetching": 0.1}
    assert line["request_id"] == "-"


@pytest.mark.django_db
async def test_request_id_is_echoed_or_generated():
    client = AsyncClient()
    response = await client.get("/api/songs/", headers={"X-Request-ID": "abc-123"})
    assert response["X-Request-ID"] == "abc-123"
    generated = await client.get("/api/songs/", headers={"X-Request-ID": "bad id\\n"})
    assert generated["X-Request-ID"] != "bad id\\n"
    assert len(generated["X-Request-ID"]) == 16

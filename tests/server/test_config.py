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
    assert config.video_dimensions == (1280, 720)
    assert config.video_format.frame == "1280x720@30"
    assert not config.json_logs


@pytest.mark.parametrize(
    ("environ", "fragment"),
    [
        ({"CHOREO_ASSEMBLY_TIMEOUT_S": "soon"}, "CHOREO_ASSEMBLY_TIMEOUT_S='soon'"),
        ({"CHOREO_ASSEMBLY_TIMEOUT_S": "-1"}, "greater than 0"),
        ({"CHOREO_VIDEO_SIZE": "1280*720"}, "expected WIDTHxHEIGHT"),
        ({"CHOREO_VIDEO_SIZE": "1281x720"}, "must be even"),
        ({"CHOREO_VIDEO_CRF": "52"}, "CHOREO_VIDEO_CRF='52'"),
        ({"STORAGE_BACKEND": "ftp"}, "STORAGE_BACKEND='ftp'"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL='mysql://x'"),
        ({"CHOREO_MAX_CONCURRENT_ASSEMBLIES": "0"}, "CHOREO_MAX_CONCURRENT_ASSEMBLIES='0'"),
        ({"CHOREO_ENV": "production"}, "SECRET_KEY: required"),
        ({"CHOREO_ENV": "production", "SECRET_KEY": "x" * 40, "DEBUG": "1"}, "DEBUG: must be off"),
        ({"CHOREO_LOG_LEVEL": "LOUD"}, "CHOREO_LOG_LEVEL='LOUD'"),
        ({"REDIS_URL": "http://cache:6379"}, "expected a redis:// or rediss:// URL"),
        ({"CORS_ALLOWED_ORIGINS": "https://a.example/app"}, "expected comma-separated origins"),
        ({"CHOREO_TOKEN_TTL_DAYS": "0"}, "CHOREO_TOKEN_TTL_DAYS='0'"),
        ({"CHOREO_THROTTLE_FAILURES": "none"}, "CHOREO_THROTTLE_FAILURES='none'"),
        ({"CHOREO_THROTTLE_ADDRESS_FAILURES": "0"}, "CHOREO_THROTTLE_ADDRESS_FAILURES='0'"),
        ({"CHOREO_SIGNUPS_PER_HOUR": "many"}, "CHOREO_SIGNUPS_PER_HOUR='many'"),
        ({"CHOREO_TRUSTED_PROXIES": "10.0.0.1, proxy.internal"}, "got 'proxy.internal'"),
        ({"CHOREO_TRUSTED_PROXIES": "*"}, "CHOREO_TRUSTED_PROXIES='*'"),
        ({"CHOREO_METRICS_ALLOW": "10.0.0.0/8,prometheus"}, "got 'prometheus'"),
    ],
)
def test_bad_values_name_the_variable(environ, fragment):
    with pytest.raises(ConfigError) as caught:
        load_config(environ)
    assert fragment in str(caught.value)


def test_accounts_settings_defaults_and_values():
    """Token TTL, throttle and CORS have safe defaults; origins are a trimmed list."""
    config = load_config({})
    assert (config.token_ttl_days, config.throttle_failures, config.throttle_window_s) == (
        30,
        10,
        900,
    )
    assert config.redis_url == "" and config.cors_origins == []
    config = load_config(
        {
            "REDIS_URL": "rediss://cache.internal:6380/1",
            "CORS_ALLOWED_ORIGINS": " https://a.example, http://localhost:3000 ,",
        }
    )
    assert config.redis_url == "rediss://cache.internal:6380/1"
    assert config.cors_origins == ["https://a.example", "http://localhost:3000"]


def test_throttle_and_proxy_settings_defaults_and_values():
    """Nobody's X-Forwarded-For is trusted by default; proxies are IPs or CIDR networks."""
    config = load_config({})
    assert (config.throttle_address_failures, config.signups_per_hour) == (100, 10)
    assert config.trusted_proxies == "" and config.trusted_proxy_networks == ()
    config = load_config({"CHOREO_TRUSTED_PROXIES": " 10.0.0.5 , 172.16.0.0/12,::1,"})
    assert config.trusted_proxies == "10.0.0.5,172.16.0.0/12,::1"
    assert [str(net) for net in config.trusted_proxy_networks] == [
        "10.0.0.5/32",
        "172.16.0.0/12",
        "::1/128",
    ]


def test_metrics_allow_is_nobody_by_default_and_a_list_of_networks():
    """No address reads /metrics without signing in by default; the list is trimmed networks."""
    assert load_config({}).metrics_allow_networks == ()
    config = load_config({"CHOREO_METRICS_ALLOW": " 10.0.0.0/8 , 192.0.2.7,"})
    assert config.metrics_allow == "10.0.0.0/8,192.0.2.7"
    assert [str(net) for net in config.metrics_allow_networks] == ["10.0.0.0/8", "192.0.2.7/32"]


def test_settings_use_redis_for_the_cache_only_when_redis_url_is_set(tmp_path):
    """CACHES is local memory by default and Django's RedisCache with REDIS_URL."""
    import os
    import subprocess
    import sys

    script = "from asgi_project import settings as s; print(s.CACHES['default']['BACKEND'])"
    env = {**os.environ, "CHOREO_DATA_DIR": str(tmp_path), "DATABASE_URL": ""}
    env.pop("REDIS_URL", None)
    backends = [
        subprocess.run(
            [sys.executable, "-c", script],
            env=extra,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for extra in (env, {**env, "REDIS_URL": "redis://127.0.0.1:6379/0"})
    ]
    assert backends == [
        "django.core.cache.backends.locmem.LocMemCache",
        "django.core.cache.backends.redis.RedisCache",
    ]


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

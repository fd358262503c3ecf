"""The throttle against a real ``serve --workers 2`` sharing Redis (and, on PostgreSQL runs, a
PostgreSQL database): a burst over both workers gets at most the limit evaluated; uvicorn
believes X-Forwarded-For only from CHOREO_TRUSTED_PROXIES; several workers without a shared
cache refuse to start."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid

import httpx
import pytest

from tests.helpers import TEST_REDIS_URL, isolated_database_env, redis_unreachable
from tests.live import ROOT, free_port, server_env, spawn_serve

LIMIT = 3
PROXY = "127.0.0.2"
"""A loopback address the server trusts as a proxy; requests from 127.0.0.1 are not."""


def clear_throttle_keys() -> None:
    """Counters earlier runs left in the test Redis (they would still lock 127.0.0.1)."""
    import redis

    client = redis.Redis.from_url(TEST_REDIS_URL)
    keys = list(client.scan_iter("choreo:*throttle:*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``serve --workers 2`` on a fresh data dir with Redis, trusting only 127.0.0.2 as a proxy,
    with low limits (LIMIT failures per account and address, and per address)."""
    if why := redis_unreachable():
        pytest.skip(why)
    clear_throttle_keys()
    data_dir = tmp_path_factory.mktemp("throttle-data")
    env = server_env(
        data_dir,
        REDIS_URL=TEST_REDIS_URL,
        CHOREO_TRUSTED_PROXIES=PROXY,
        CHOREO_THROTTLE_FAILURES=str(LIMIT),
        CHOREO_THROTTLE_ADDRESS_FAILURES=str(LIMIT),
        **isolated_database_env(),
    )
    proc, port = spawn_serve(env, data_dir / "serve.log", "--no-demo", "--workers", "2")
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=30)


def client(base: str, source: str = "127.0.0.1", **kwargs) -> httpx.AsyncClient:
    """An HTTP client whose connections come from the loopback address ``source``."""
    transport = httpx.AsyncHTTPTransport(local_address=source)
    return httpx.AsyncClient(base_url=base, transport=transport, timeout=120, **kwargs)


async def wrong_password(http: httpx.AsyncClient, username: str, forwarded_for: str = "") -> int:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    answer = await http.post(
        "/api/auth/login/", json={"username": username, "password": "guess"}, headers=headers
    )
    return answer.status_code


def test_a_burst_over_two_workers_evaluates_at_most_the_limit(server):
    """100 simultaneous wrong passwords for one account from one client, spread over two
    worker processes: at most LIMIT are checked (401); every other one is 429."""
    username = f"victim-{uuid.uuid4().hex[:8]}"

    async def burst() -> list[int]:
        limits = httpx.Limits(max_connections=100)
        async with client(server, PROXY, limits=limits) as http:
            return await asyncio.gather(
                *(wrong_password(http, username, "198.51.100.77") for _ in range(100))
            )

    statuses = asyncio.run(burst())
    assert set(statuses) <= {401, 429}, statuses
    assert 1 <= statuses.count(401) <= LIMIT, statuses.count(401)


def test_a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored(server):
    """From 127.0.0.1 (not a trusted proxy), a new X-Forwarded-For on every request does not
    make a new address: after LIMIT failures over LIMIT accounts the address is refused."""

    async def spray() -> list[int]:
        async with client(server) as http:
            return [
                await wrong_password(http, f"user-{uuid.uuid4().hex[:8]}", f"10.66.{i}.1")
                for i in range(LIMIT + 1)
            ]

    assert asyncio.run(spray()) == [401] * LIMIT + [429]


def test_a_trusted_proxys_forwarded_for_names_the_client(server):
    """From 127.0.0.2 (CHOREO_TRUSTED_PROXIES), X-Forwarded-For is the client's address: one
    client behind the proxy is refused after LIMIT failures, another one is not."""

    async def two_clients() -> list[int]:
        async with client(server, PROXY) as http:
            first = [
                await wrong_password(http, f"user-{uuid.uuid4().hex[:8]}", "192.0.2.61")
                for _ in range(LIMIT + 1)
            ]
            return [*first, await wrong_password(http, "someone", "192.0.2.62")]

    assert asyncio.run(two_clients()) == [401] * LIMIT + [429, 401]


def test_several_workers_without_a_shared_cache_refuse_to_start(tmp_path):
    """``serve --workers 2`` without REDIS_URL exits at once, saying what to set."""
    env, port = server_env(tmp_path, REDIS_URL=""), str(free_port())
    try:
        done = subprocess.run(
            [sys.executable, "manage.py", "serve", "--no-demo", "--workers", "2", "--port", port],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("serve --workers 2 without REDIS_URL started serving")
    assert done.returncode != 0
    assert "set REDIS_URL" in done.stderr, done.stderr
    assert not (tmp_path / "choreo.sqlite3").exists()  # refused before touching anything

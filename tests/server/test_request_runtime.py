"""The runtime reaches the edges through the request: ``runtime_of`` and the ASGI lifespan state.

A server's lifespan puts the runtime in its state and the server copies that state into every
request's ``scope["state"]``; the sync test client (WSGI) carries it in its environ. These tests
drive the real ASGI application the way a server does (lifespan first, then requests carrying
its state), so they do not depend on the test clients' own injection (tests/runtimes.py).
"""

from __future__ import annotations

import asyncio
import io
import json
import time

import pytest
from django.core.handlers.asgi import ASGIRequest
from django.test import RequestFactory
from django.test.client import AsyncRequestFactory

from choreography.api.request_context import WSGI_RUNTIME_KEY, runtime_of


def test_an_asgi_request_carries_the_runtime_in_its_scope_state(runtime):
    """An ASGI request's runtime is ``scope["state"]["runtime"]``."""
    scope = {**AsyncRequestFactory()._base_scope(path="/"), "state": {"runtime": runtime}}
    request = ASGIRequest(scope, io.BytesIO())
    assert runtime_of(request) is runtime


def test_a_wsgi_request_carries_it_in_its_environ(runtime):
    """A WSGI request (Django's sync test Client) carries it under ``choreo.runtime``."""
    request = RequestFactory().get("/", **{WSGI_RUNTIME_KEY: runtime})
    assert runtime_of(request) is runtime


def test_a_request_without_a_runtime_is_an_error_that_says_where_it_comes_from(monkeypatch):
    """No state (a server run without its lifespan): a RuntimeError naming the lifespan."""
    monkeypatch.undo()  # the factories as Django ships them, without the test's runtime
    asgi = AsyncRequestFactory().get("/")
    wsgi = RequestFactory().get("/")
    for request in (asgi, wsgi):
        with pytest.raises(RuntimeError, match="lifespan"):
            runtime_of(request)


@pytest.mark.django_db(transaction=True)
async def test_the_lifespan_runtime_serves_the_requests(tmp_path):
    """Through the real ASGI application: the runtime the lifespan opened is the one requests
    get, on the fast path (health reports its queue) and through Django (the media view checks
    a link against its clock), and the lifespan closes it at shutdown."""
    from asgi_project.asgi import application

    state: dict = {}
    lifespan: asyncio.Queue = asyncio.Queue()
    sent: list[dict] = []

    async def lifespan_send(message) -> None:
        sent.append(message)

    lifespan.put_nowait({"type": "lifespan.startup"})
    running = asyncio.create_task(
        application({"type": "lifespan", "state": state}, lifespan.get, lifespan_send)
    )
    for _ in range(500):
        if sent:
            break
        await asyncio.sleep(0.01)
    assert sent == [{"type": "lifespan.startup.complete"}]
    runtime = state["runtime"]
    ticket = runtime.gate.reserve()  # one generation waiting in *this* runtime's queue
    try:
        status, body = await asgi_get(application, "/health/", state={**state})
        assert status == 200, body
        assert json.loads(body)["generations"]["waiting"] == 1
    finally:
        ticket.release()
    (tmp_path / "clip.mp4").write_bytes(b"v" * 10)
    await runtime.storage.upload(tmp_path / "clip.mp4", "videos/lifespan.mp4")
    link = runtime.sign_media("videos/lifespan.mp4").path
    status, body = await asgi_get(application, link, state={**state})
    assert (status, body) == (200, b"v" * 10)
    runtime.clock = lambda: time.time() + 10**6  # only this runtime's clock moves on
    status, body = await asgi_get(application, link, state={**state})
    assert status == 403 and json.loads(body)["error"] == "the media link has expired"
    lifespan.put_nowait({"type": "lifespan.shutdown"})
    await running
    assert sent[-1] == {"type": "lifespan.shutdown.complete"}


async def asgi_get(app, path: str, *, state: dict) -> tuple[int, bytes]:
    """One GET through ``app`` as a server sends it, with the lifespan's state."""
    path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
        "state": state,
    }
    messages: list[dict] = []
    received = False

    async def receive() -> dict:
        nonlocal received
        if not received:
            received = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # no disconnect while the answer is made
        return {"type": "http.disconnect"}

    async def send(message) -> None:
        messages.append(message)

    await app(scope, receive, send)
    start = next(m for m in messages if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return start["status"], body

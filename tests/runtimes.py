"""The runtime of a test, and how Django's test clients hand it to the app.

A server's requests carry the runtime its ASGI lifespan built (``scope["state"]["runtime"]``,
read by ``choreography.api.request_context.runtime_of``). Django's ``AsyncClient`` and ``Client``
run no lifespan: while a test runs, the request factories they build their requests with are
patched (for that test only) to put the test's current runtime where a server would, the ASGI
scope's ``state``, and for the sync (WSGI) ``Client`` the environ key ``runtime_of`` also reads.
A request that already brings its own ``state`` keeps it. (Django 5.2's clients cannot be asked for a
``state``: their ``defaults`` and extra arguments all become headers.)

The runtime is built from the settings, and built again when a test changes one it is made of
(Django's ``setting_changed``), as a process started with those settings would build it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

RUNTIME_SETTINGS = frozenset({"CHOREO", "MEDIA_ROOT", "WORK_ROOT"})
"""The settings a Runtime is built from."""


class TestRuntimes:
    """The runtimes one test built, oldest first; the test clients serve the last one."""

    __test__ = False  # not a test class, whatever pytest's name pattern says

    def __init__(self) -> None:
        from choreography.runtime import Runtime

        self.built: list[Runtime] = [Runtime.from_settings()]

    @property
    def current(self):
        return self.built[-1]

    def _rebuild(self, *, setting: str, **kwargs) -> None:
        from choreography.runtime import Runtime

        if setting in RUNTIME_SETTINGS:
            self.built.append(Runtime.from_settings())

    @classmethod
    @contextlib.contextmanager
    def serving(cls, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestRuntimes]:
        """Build the test's runtime and have the test clients serve it for the block."""
        from django.test.client import AsyncRequestFactory, RequestFactory
        from django.test.signals import setting_changed

        from choreography.api.request_context import RUNTIME_KEY, WSGI_RUNTIME_KEY

        runtimes = cls()
        base_scope = AsyncRequestFactory._base_scope
        base_environ = RequestFactory._base_environ

        def scope(self, **request) -> dict:
            built = base_scope(self, **request)
            built.setdefault("state", {RUNTIME_KEY: runtimes.current})
            return built

        def environ(self, **request) -> dict:
            built = base_environ(self, **request)
            built.setdefault(WSGI_RUNTIME_KEY, runtimes.current)
            return built

        monkeypatch.setattr(AsyncRequestFactory, "_base_scope", scope)
        monkeypatch.setattr(RequestFactory, "_base_environ", environ)
        setting_changed.connect(runtimes._rebuild)
        try:
            yield runtimes
        finally:
            setting_changed.disconnect(runtimes._rebuild)


class WithRuntime:
    """ASGI middleware for tests that call the ASGI application without a server (httpx's
    ASGITransport): gives each HTTP request the lifespan state a server would."""

    def __init__(self, app, runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope, receive, send) -> None:
        from choreography.api.request_context import RUNTIME_KEY

        if scope["type"] == "http" and "state" not in scope:
            scope = {**scope, "state": {RUNTIME_KEY: self.runtime}}
        await self.app(scope, receive, send)

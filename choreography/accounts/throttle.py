"""Password guessing is throttled per client IP and per username, through Django's cache.

Each (scope, IP) and (scope, username) pair counts failures in a fixed window of
CHOREO_THROTTLE_WINDOW_S seconds starting at its first failure; at CHOREO_THROTTLE_FAILURES
failures further attempts are refused (429 with Retry-After) until the window ends. A success
clears the username's counter (not the IP's: one right password must not reset a spray).

The counters are correct under concurrency: ``add`` creates a counter only if it is absent and
``incr`` is atomic, in local memory (one process) as in Redis (every process; set REDIS_URL).
Django's ``aincr`` is not: its default implementation is ``aget`` then ``aset`` (which loses
concurrent increments and resets the expiry), so the synchronous ``incr`` runs in a thread.
Keys hold a hash of the username or IP, never the value itself.
"""

from __future__ import annotations

import hashlib
import math
import time

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import cache

from choreography.errors import TooManyAttemptsError

SCOPES = frozenset({"login", "register", "password_reset"})


def _keys(scope: str, kind: str, value: str) -> tuple[str, str]:
    """The counter's key and the key of its window start."""
    if scope not in SCOPES:
        raise ValueError(f"unknown throttle scope {scope!r}")
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    key = f"throttle:{scope}:{kind}:{digest}"
    return key, key + ":since"


def _subjects(scope: str, ip: str, username: str) -> list[tuple[str, str]]:
    subjects = []
    if ip:
        subjects.append(_keys(scope, "ip", ip))
    if username:
        subjects.append(_keys(scope, "user", username))
    return subjects


async def check(*, scope: str, ip: str, username: str = "") -> None:
    """TooManyAttemptsError when this IP or this username used up its failures."""
    config = settings.CHOREO
    subjects = _subjects(scope, ip, username)
    values = await cache.aget_many([key for pair in subjects for key in pair])
    waits = [
        values.get(since, time.time()) + config.throttle_window_s - time.time()
        for count, since in subjects
        if values.get(count, 0) >= config.throttle_failures
    ]
    if waits:
        raise TooManyAttemptsError(
            "too many failed attempts",
            details=f"try again in {math.ceil(max(waits))} seconds",
            retry_after=math.ceil(max(max(waits), 1)),
        )


async def failed(*, scope: str, ip: str, username: str = "") -> None:
    """Count one failure against this IP and this username."""
    window = settings.CHOREO.throttle_window_s
    for count, since in _subjects(scope, ip, username):
        await cache.aadd(since, time.time(), timeout=window)
        if await cache.aadd(count, 1, timeout=window):
            continue
        try:
            await sync_to_async(cache.incr)(count)
        except ValueError:  # the window ended between add and incr: this starts a new one
            await cache.aadd(count, 1, timeout=window)


async def succeeded(*, scope: str, username: str) -> None:
    """Forget the username's failures (it proved it knows the password)."""
    if username:
        await cache.adelete_many(list(_keys(scope, "user", username)))

"""The guessing and sign-up throttle: every attempt is counted before it is evaluated.

Counters live in Django's cache (this process's memory, or Redis shared by every process when
REDIS_URL is set; ``serve --workers N`` refuses to start without it), in fixed windows that
start at a counter's first attempt:

- per (account, client address), CHOREO_THROTTLE_FAILURES (10) in CHOREO_THROTTLE_WINDOW_S:
  one dancer's typos lock that account from that address only; a classmate on the same Wi-Fi,
  and the owner from anywhere else, still get in, and nobody can lock someone else's account;
- per client address, CHOREO_THROTTLE_ADDRESS_FAILURES (100) over every account: a password
  spray over many usernames is stopped;
- successful sign-ups per client address, CHOREO_SIGNUPS_PER_HOUR in an hour.

``attempt()`` first adds one to each counter (``add`` then ``incr``: atomic in local memory and
in Redis), then decides: past a limit it raises TooManyAttemptsError (429 with Retry-After), so
of N simultaneous attempts at most the limit are evaluated, in one process or many. The outcome
then settles the counts it reserved: a success forgets the account's failures from that address
and gives back its place in the address's count (one right password does not reset a spray); a
failure keeps them; a sign-up that failed gives back its place in the sign-ups count.
``clear_account`` (a completed password reset) forgets an account's failures from every
address. Scopes are separate: a locked log-in does not block a password reset.

IPv6 clients count by their /64 network (one host usually owns a whole /64). Keys hold a hash
of the account and the address, never the values themselves.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from dataclasses import dataclass
from typing import Literal

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import cache

from choreography.errors import TooManyAttemptsError

Scope = Literal["login", "register", "password_reset"]
SCOPES = frozenset({"login", "register", "password_reset"})
SIGNUP_WINDOW_S = 3600
Settle = Literal["clear", "give_back", "keep"]


@dataclass(frozen=True)
class Counter:
    """One cache counter: its key, limit and window, and what each outcome does to it."""

    key: str
    limit: int
    window_s: int
    on_success: Settle
    on_failure: Settle

    @property
    def since_key(self) -> str:
        return self.key + ":since"


def _digest(value: str) -> str:
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]


def address_key(address: str) -> str:
    """What a client address counts as: itself, or its /64 network for IPv6."""
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return address.strip().lower()
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def _epoch_key(account: str) -> str:
    return f"throttle:epoch:{_digest(account)}"


def _counters(scope: str, address: str, account: str, epoch: int) -> list[Counter]:
    """The counters an attempt goes through, in the order they are taken."""
    if scope not in SCOPES:
        raise ValueError(f"unknown throttle scope {scope!r}")
    config = settings.CHOREO
    window = config.throttle_window_s
    where = _digest(address_key(address))
    counters = []
    if account:
        counters.append(
            Counter(
                f"throttle:{scope}:pair:{_digest(account)}:{epoch}:{where}",
                config.throttle_failures,
                window,
                on_success="clear",
                on_failure="keep",
            )
        )
    counters.append(
        Counter(
            f"throttle:{scope}:address:{where}",
            config.throttle_address_failures,
            window,
            on_success="give_back",
            on_failure="keep",
        )
    )
    if scope == "register":
        counters.append(
            Counter(
                f"throttle:signup:address:{where}",
                config.signups_per_hour,
                SIGNUP_WINDOW_S,
                on_success="keep",
                on_failure="give_back",
            )
        )
    return counters


def _add_one(counter: Counter) -> int:
    """Increment ``counter`` (created at 0 if absent) and return its new value."""
    for _ in range(3):
        cache.add(counter.since_key, time.time(), timeout=counter.window_s)
        cache.add(counter.key, 0, timeout=counter.window_s)
        try:
            value = cache.incr(counter.key)
        except ValueError:  # it expired between add and incr: start the new window
            continue
        if value <= 1:
            # Redis's INCR on a key that just expired creates it without an expiry.
            cache.touch(counter.key, timeout=counter.window_s)
        return value
    raise RuntimeError(f"throttle counter {counter.key} keeps expiring")


def _give_back(counter: Counter) -> None:
    try:
        value = cache.decr(counter.key)
    except ValueError:  # its window ended: nothing to give back
        return
    if value <= 0:
        cache.touch(counter.key, timeout=counter.window_s)


def _settle(counter: Counter, action: Settle) -> None:
    if action == "clear":
        cache.delete_many([counter.key, counter.since_key])
    elif action == "give_back":
        _give_back(counter)


def _take(scope: str, address: str, account: str) -> tuple[list[Counter], float | None]:
    """Take one place in each counter; on the first one past its limit, give back the places
    taken before it and return the seconds until that counter's window ends."""
    epoch = cache.get(_epoch_key(account), 0) if account else 0
    counters = _counters(scope, address, account, epoch)
    for taken, counter in enumerate(counters):
        if _add_one(counter) > counter.limit:
            for earlier in counters[:taken]:
                _give_back(earlier)
            since = cache.get(counter.since_key, time.time())
            return counters, since + counter.window_s - time.time()
    return counters, None


@dataclass(frozen=True)
class Attempt:
    """An attempt the throttle let through; report how it ended with one of the methods."""

    counters: tuple[Counter, ...]

    async def succeeded(self) -> None:
        await _in_thread(self._settle_all)("success")

    async def failed(self) -> None:
        await _in_thread(self._settle_all)("failure")

    def _settle_all(self, outcome: Literal["success", "failure"]) -> None:
        for counter in self.counters:
            _settle(counter, counter.on_success if outcome == "success" else counter.on_failure)


def _in_thread(function):
    # Django's async cache methods are not atomic (aincr is aget then aset) and Redis's client
    # is synchronous: the counters are handled in a worker thread.
    return sync_to_async(function, thread_sensitive=False)


async def attempt(*, scope: Scope, address: str, account: str = "") -> Attempt:
    """Count this attempt, then TooManyAttemptsError if it went past a limit."""
    counters, wait = await _in_thread(_take)(scope, address, account)
    if wait is not None:
        seconds = max(1, math.ceil(wait))
        raise TooManyAttemptsError(
            "too many attempts",
            details=f"try again in {seconds} seconds",
            retry_after=seconds,
        )
    return Attempt(tuple(counters))


async def clear_account(account: str) -> None:
    """Forget ``account``'s failures from every address (its owner proved who they are)."""
    if account:
        await cache.aset(
            _epoch_key(account), time.time_ns(), timeout=settings.CHOREO.throttle_window_s
        )

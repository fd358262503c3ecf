"""STAND-IN for the attempt throttle contract (replaced at merge): never throttles."""

from __future__ import annotations


async def check(*, scope: str, ip: str, username: str) -> None:
    """Raise choreography.errors.TooManyAttemptsError when the attempt must wait."""


async def failed(*, scope: str, ip: str, username: str) -> None:
    """Count a failed attempt."""


async def succeeded(*, scope: str, username: str) -> None:
    """Forget the failures of ``username`` in ``scope``."""

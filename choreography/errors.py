"""Request-level members of the ChoreoError family (see assembly.errors for the tree)."""

from __future__ import annotations

from assembly.errors import ChoreoError


class InvalidRequestError(ChoreoError):
    """The request body or parameters are invalid (HTTP 400)."""

    default_stage = "validation"


class AuthenticationError(ChoreoError):
    """No credentials, or credentials that do not match an active token (HTTP 401)."""

    default_stage = "authentication"


class NotFoundError(ChoreoError):
    """The requested song or object does not exist (HTTP 404)."""

    default_stage = "lookup"


class ClientDisconnectedError(ChoreoError):
    """Recorded on the task when the client went away and the work was stopped."""

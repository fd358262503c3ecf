"""Request-level members of the ChoreoError family (see assembly.errors for the tree).

ChoreoError (assembly.errors)
├── InvalidRequestError          bad body, query or path value (400)
│   ├── PayloadTooLargeError     the body exceeds CHOREO_MAX_BODY_BYTES (413)
│   └── UnsupportedMediaTypeError  a body that is not Content-Type: application/json (415)
├── AuthenticationError          no or invalid credentials (401)
├── PermissionDeniedError        credentials fine, but not for this (403)
│   └── LinkExpiredError         a signed media link past its expiry (403)
├── NotFoundError                unknown song, video or URL (404)
├── ConflictError                the same Idempotency-Key is being served elsewhere (409)
│   ├── InUseError               a library item completed choreographies still use (409)
│   └── QuotaExceededError       the user's stored videos reach CHOREO_USER_QUOTA_MB (409)
├── OverloadedError              the server cannot take the work now (503, Retry-After)
│   ├── TooManyAttemptsError     too many failed logins/sign-ups from an IP or for a name (429)
│   ├── TooManyGenerationsError  this user already runs CHOREO_MAX_PER_USER (429)
│   ├── ServerBusyError          in-flight cap and wait queue are full (503)
│   └── ShuttingDownError        the server is stopping; work was stopped (503)
├── InsufficientStorageError     the data dir's free space is below CHOREO_MIN_FREE_DISK_MB (507)
└── ClientDisconnectedError      recorded on a task whose client went away
"""

from __future__ import annotations

from assembly import ChoreoError


class InvalidRequestError(ChoreoError):
    """The request body or parameters are invalid (HTTP 400)."""

    default_stage = "validation"


class PayloadTooLargeError(InvalidRequestError):
    """The request body is larger than CHOREO_MAX_BODY_BYTES (HTTP 413)."""


class UnsupportedMediaTypeError(InvalidRequestError):
    """A request body sent with a Content-Type other than application/json (HTTP 415)."""


class AuthenticationError(ChoreoError):
    """No credentials, or credentials that do not match an active token (HTTP 401)."""

    default_stage = "authentication"


class PermissionDeniedError(ChoreoError):
    """Credentials or a link that do not allow this request: CSRF, bad signature (HTTP 403)."""

    default_stage = "authorization"


class LinkExpiredError(PermissionDeniedError):
    """A signed media link whose expiry has passed (HTTP 403)."""


class NotFoundError(ChoreoError):
    """The requested song or object does not exist (HTTP 404)."""

    default_stage = "lookup"


class ConflictError(ChoreoError):
    """The request repeats one that another server process is still working on (HTTP 409)."""

    default_stage = "admission"

    def __init__(self, message: str, *, retry_after: int, details: str = "", stage=None) -> None:
        super().__init__(message, details=details, stage=stage)
        self.retry_after = max(1, int(retry_after))


class InUseError(ConflictError):
    """A song or move that completed choreographies still use cannot be deleted (HTTP 409,
    no Retry-After: waiting does not help)."""

    default_stage = "library"

    def __init__(self, message: str, *, details="", stage=None) -> None:
        ChoreoError.__init__(self, message, details=details, stage=stage)
        self.retry_after = None


class QuotaExceededError(ConflictError):
    """A save or a generation past the user's storage quota, CHOREO_USER_QUOTA_MB (HTTP 409,
    no Retry-After: deleting saved choreographies frees room, waiting does not)."""

    default_stage = "quota"

    def __init__(self, message: str, *, details="", stage=None) -> None:
        ChoreoError.__init__(self, message, details=details, stage=stage)
        self.retry_after = None


class OverloadedError(ChoreoError):
    """The work cannot be taken now; ``retry_after`` says when to try again (seconds)."""

    default_stage = "admission"

    def __init__(self, message: str, *, retry_after: int, details: str = "", stage=None) -> None:
        super().__init__(message, details=details, stage=stage)
        self.retry_after = max(1, int(retry_after))


class TooManyAttemptsError(OverloadedError):
    """Too many attempts (log-in, sign-up, password reset) for this account from this client
    address, or from this address over every account, within CHOREO_THROTTLE_WINDOW_S; or too
    many sign-ups from this address within an hour (HTTP 429; choreography.accounts.throttle)."""

    default_stage = "authentication"


class TooManyGenerationsError(OverloadedError):
    """The user already has CHOREO_MAX_PER_USER generations in flight (HTTP 429)."""


class ServerBusyError(OverloadedError):
    """Every in-flight slot and every place in the wait queue is taken (HTTP 503)."""


class ShuttingDownError(OverloadedError):
    """The server is shutting down: new work is refused and running work stopped (HTTP 503)."""


class InsufficientStorageError(ChoreoError):
    """A generation or upload refused because the server's disk is nearly full: the free space
    of the data dir's filesystem is below CHOREO_MIN_FREE_DISK_MB (HTTP 507)."""

    default_stage = "storage"


class ClientDisconnectedError(ChoreoError):
    """Recorded on the task when the client went away and the work was stopped."""

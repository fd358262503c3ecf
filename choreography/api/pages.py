"""What every web page shares: the visitor, media links the browser can load, selector values.

The pages themselves live with their features: the dancer's page in
``choreography.generation.pages``, song previews in ``choreography.library.pages``, the sign-in
link and account pages in ``choreography.accounts.pages``, and so on.
"""

from __future__ import annotations

from django.http import HttpRequest

from choreography.api.request_context import runtime_of
from choreography.api.schemas import (
    DifficultyValue,
    EnergyValue,
    GenerateRequest,
    LibraryStyleValue,
)
from choreography.music.vocabulary import (
    ANY_STYLE_DESCRIPTION,
    DIFFICULTY_DESCRIPTIONS,
    ENERGY_DESCRIPTIONS,
    STYLE_DESCRIPTIONS,
)


async def visitor(request: HttpRequest):
    """The visitor (a user or AnonymousUser), also set as ``request.user``.

    An async view must take it this way: the lazy ``request.user`` of the auth middleware
    queries the database synchronously, which raises SynchronousOnlyOperation (a 500) when a
    template (base.html's account menu) reads ``user.is_authenticated`` in an async view.
    """
    request.user = await request.auser()
    return request.user


def media_url(request: HttpRequest, key: str) -> str:
    """A URL the browser can load without headers: a signed local link or a presigned S3 URL."""
    return runtime_of(request).storage.url(key)


def page_options() -> dict:
    """Selector values, taken from the request schema so they are written down once, and the
    line describing each (choreography.music.vocabulary). Styles are the library's four: the
    legacy ones a generate request still accepts ("modern", "traditional") are not offered."""
    return {
        "difficulties": list(DifficultyValue.__args__),  # type: ignore[attr-defined]
        "energy_levels": list(EnergyValue.__args__),  # type: ignore[attr-defined]
        "styles": list(LibraryStyleValue.__args__),  # type: ignore[attr-defined]
        "descriptions": {
            "difficulty": {str(k): v for k, v in DIFFICULTY_DESCRIPTIONS.items()},
            "energy_level": {str(k): v for k, v in ENERGY_DESCRIPTIONS.items()},
            "style": {
                "": ANY_STYLE_DESCRIPTION,
                **{str(k): v for k, v in STYLE_DESCRIPTIONS.items()},
            },
        },
        "defaults": {
            "difficulty": GenerateRequest.model_fields["difficulty"].default,
            "energy_level": GenerateRequest.model_fields["energy_level"].default,
        },
    }

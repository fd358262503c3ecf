"""POST /api/choreography/describe/: a description read as a song and parameters, nothing
generated. Authentication as for generate; errors are ``{"error", "details", "stage"}``."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router
from pydantic import BaseModel, ConfigDict, Field

from choreography.api.schemas import BODY_ERRORS, ErrorOut
from choreography.describe.interpretation import Interpretation
from choreography.describe.service import EXAMPLES, describe

router = Router(tags=["describe"])

DESCRIPTION_MAX = 1000
"""Longest description, in characters."""


class DescribeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    text: str = Field(
        max_length=DESCRIPTION_MAX,
        description="What the dancer wants, in English or Spanish",
        examples=list(EXAMPLES),
    )


DESCRIBE_DOC = """Read a description ("something romantic and slow for beginners, about a minute")
as the song and the parameters generate would use, each with the words it came from, the
assumptions made where the text was silent, and the reasoning step by step. Nothing is generated.

`interpreter` says who answered: `built-in` (no network, no model) or `llm` when
CHOREO_LLM_BASE_URL is set and the endpoint answered in time with a valid answer; otherwise the
built-in interpreter answers and `fallback_reason` says why. A text with nothing the interpreter
knows is a 400 whose `details` list what it understands, with examples.

To generate from words, send `{"description": "..."}` to POST /api/choreography/generate/.
"""


@router.post(
    "/choreography/describe/",
    response={200: Interpretation, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, **BODY_ERRORS},
    summary="Read a description in words as a song and parameters (nothing generated)",
    description=DESCRIBE_DOC,
)
async def describe_route(request: HttpRequest, body: DescribeRequest):
    return (await describe(text=body.text)).model_dump(mode="json")

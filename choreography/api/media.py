"""Serves local-storage objects behind signed, expiring links, with HTTP Range support.

Every object needs a link from ``choreography.api.signing`` (checked before the file is looked up,
so nobody can probe which keys exist); a link given under a share (``share=``) also needs that
share to be live, so revoking a share ends its links at once (404). Range support lets a browser
seek in a video.
"""

from __future__ import annotations

import mimetypes
import re

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.views.decorators.http import require_safe

from assembly import ChoreoError
from choreography.api.request_context import runtime_of
from choreography.api.responses import error_response
from choreography.api.signing import verify_media
from choreography.collections.services import check_share_ref
from choreography.errors import NotFoundError
from storage import StorageError, content_disposition

RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """(first, last) inclusive for a single-range header; None if absent or unsupported.

    Raises ValueError when the range cannot be satisfied (HTTP 416).
    """
    match = RANGE.match(header.strip()) if header else None
    if not match:
        return None
    first_text, last_text = match.groups()
    if not first_text and not last_text:
        return None
    if not first_text:  # suffix range: the last N bytes
        length = int(last_text)
        if length == 0:
            raise ValueError("empty suffix range")
        return max(0, size - length), size - 1
    first = int(first_text)
    last = min(int(last_text), size - 1) if last_text else size - 1
    if first >= size or first > last:
        raise ValueError("range outside the file")
    return first, last


@require_safe
async def serve_media(request: HttpRequest, key: str) -> HttpResponse:
    runtime = runtime_of(request)
    storage = runtime.storage
    try:
        verify_media(
            key,
            now=runtime.clock(),
            expires=request.GET.get("expires"),
            signature=request.GET.get("signature"),
            filename=request.GET.get("filename"),
            share=request.GET.get("share"),
        )
        if share := request.GET.get("share"):
            await check_share_ref(share)  # checked on every request: Range requests included
        try:
            size = await storage.size(key)
        except StorageError:  # invalid key, missing object, or outside the root: all the same
            raise NotFoundError("no such media", stage="media") from None
    except ChoreoError as exc:
        return error_response(exc)
    content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
    try:
        byte_range = parse_range(request.headers.get("Range", ""), size)
    except ValueError:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    first, last = byte_range if byte_range else (0, size - 1)
    length = max(0, last - first + 1)
    if request.method == "HEAD":
        response = HttpResponse(status=206 if byte_range else 200, content_type=content_type)
    else:
        response = StreamingHttpResponse(
            storage.read(key, first, length),
            status=206 if byte_range else 200,
            content_type=content_type,
        )
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    if filename := request.GET.get("filename"):
        response["Content-Disposition"] = content_disposition(
            filename, attachment=request.GET.get("download") == "1"
        )
    if byte_range:
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    return response

"""Multipart uploads, shared by every edge that takes a file: the library's staff uploads
(``choreography.library.admin_api``) and a studio's move uploads (``choreography.studios.api``).

``multipart_upload(request)`` streams the body's field ``file`` to a temporary file under the
runtime's work dir (never held in memory), limited to CHOREO_MAX_UPLOAD_MB (413, from the
declared length when it says so, else as the bytes arrive), parses it in a worker thread, and
removes the file on every path, cancellation included; below CHOREO_MIN_FREE_DISK_MB of free
disk it is refused (507) before a byte is spooled. Not ``multipart/form-data``: 415; a
malformed body or no field ``file``: 400. ``validated_form`` checks the other fields against a
pydantic model (400 naming each problem); ``multipart_doc`` is the OpenAPI request body of
such a form (``file`` plus the model's fields).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from django.core.files.uploadedfile import TemporaryUploadedFile, UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, TemporaryFileUploadHandler
from django.http import HttpRequest
from pydantic import BaseModel, ValidationError

from choreography.api.request_context import runtime_of
from choreography.errors import (
    InvalidRequestError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
)


def validated_form(model: type[BaseModel], data: dict) -> BaseModel:
    """``data`` as ``model``, or a 400 naming every field that is wrong."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [
            {"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"]}
            for e in exc.errors()
        ]
        summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        raise InvalidRequestError(f"invalid request: {summary}", details=problems) from None


class WorkDirUploadedFile(TemporaryUploadedFile):
    """A TemporaryUploadedFile in a directory of our choosing (deleted when closed)."""

    def __init__(self, directory: Path, name, content_type, size, charset, extra=None) -> None:
        suffix = re.sub(r"[^A-Za-z0-9.]", "", Path(name or "").suffix)[:10]
        file = tempfile.NamedTemporaryFile(suffix=".upload" + suffix, dir=directory)  # noqa: SIM115
        UploadedFile.__init__(self, file, name, content_type, size, charset, extra)


class WorkDirUploadHandler(TemporaryFileUploadHandler):
    """Streams every uploaded file to disk under ``directory``, refusing more than
    ``max_bytes`` as it arrives; remembers its files so the view can remove them."""

    def __init__(self, request, *, directory: Path, max_bytes: int) -> None:
        super().__init__(request)
        self.directory, self.max_bytes, self.opened = directory, max_bytes, []

    def new_file(self, *args, **kwargs) -> None:
        FileUploadHandler.new_file(self, *args, **kwargs)
        self.file = WorkDirUploadedFile(
            self.directory, self.file_name, self.content_type, 0, self.charset,
            self.content_type_extra,
        )  # fmt: skip
        self.opened.append(self.file)

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.max_bytes:
            raise _too_large(self.max_bytes, f"the file {self.file_name!r} is larger")
        return super().receive_data_chunk(raw_data, start)


def _too_large(limit: int, got: str) -> PayloadTooLargeError:
    return PayloadTooLargeError(
        "upload too large", details=f"at most {limit} bytes (CHOREO_MAX_UPLOAD_MB); {got}"
    )


def _parse(request: HttpRequest, handler: WorkDirUploadHandler):
    """Parse the multipart body (blocking file I/O: called in a worker thread)."""
    with contextlib.suppress(AttributeError):  # already parsed (by middleware; the API does not)
        request.upload_handlers = [handler]
    return request.POST, request.FILES


@contextlib.asynccontextmanager
async def multipart_upload(request: HttpRequest) -> AsyncIterator[tuple[dict, Path, str]]:
    """(form fields, the uploaded file's path, its client-side name); the file is removed
    when the block ends, however it ends."""
    if request.content_type != "multipart/form-data":
        raise UnsupportedMediaTypeError(
            "send the file as multipart/form-data",
            details=f"field 'file'; not {request.content_type or 'none'!r}",
        )
    runtime = runtime_of(request)
    limit = runtime.config.max_upload_mb * 1024 * 1024
    declared = request.META.get("CONTENT_LENGTH") or ""
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit, f"{declared} bytes declared")
    await runtime.ensure_free_disk(action="upload")  # 507 below the disk floor
    directory = runtime.work_root  # this instance's own: swept if the process dies
    directory.mkdir(parents=True, exist_ok=True)
    handler = WorkDirUploadHandler(request, directory=directory, max_bytes=limit)
    parsing = asyncio.ensure_future(asyncio.to_thread(_parse, request, handler))
    try:
        try:
            post, files = await asyncio.shield(parsing)
        except ValueError as exc:  # MultiPartParserError and friends
            raise InvalidRequestError("malformed multipart body", details=str(exc)) from None
        uploaded = files.get("file")
        if uploaded is None:
            raise InvalidRequestError(
                "invalid request: file: field required", details="send the media as field 'file'"
            )
        if uploaded.size > limit:
            raise _too_large(limit, f"the file {uploaded.name!r} has {uploaded.size} bytes")
        fields = {key: post.get(key) for key in post}
        if hasattr(uploaded, "temporary_file_path"):
            yield fields, Path(uploaded.temporary_file_path()), uploaded.name
        else:  # held in memory by Django's own handlers (parsed before we could choose)
            async with _spilled(uploaded, directory) as path:
                yield fields, path, uploaded.name
    finally:
        if parsing.done():
            _close_uploads(request, handler)
        else:  # cancelled while the thread still writes: close once it has finished
            parsing.add_done_callback(lambda done: _close_uploads(request, handler, done))


def _close_uploads(request: HttpRequest, handler: WorkDirUploadHandler, done=None) -> None:
    """Close (and so delete) every temporary file of this request's upload."""
    if done is not None and not done.cancelled():
        done.exception()  # retrieved: a parse that failed after the request went is no news
    for each in handler.opened:
        with contextlib.suppress(OSError):
            each.close()
    parsed = getattr(request, "_files", None)
    for _, each in parsed.lists() if parsed is not None else ():
        for one in each:
            with contextlib.suppress(OSError):
                one.close()


@contextlib.asynccontextmanager
async def _spilled(uploaded: UploadedFile, directory: Path) -> AsyncIterator[Path]:
    with tempfile.NamedTemporaryFile(suffix=".upload", dir=directory) as copy:
        await asyncio.to_thread(lambda: [copy.write(c) for c in uploaded.chunks()] and copy.flush())
        yield Path(copy.name)


MULTIPART_DOC = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
        "required": True,
    }
}
"""The OpenAPI request body of a multipart form of the one field ``file``."""


def multipart_doc(model: type[BaseModel]) -> dict:
    """The OpenAPI request body (``openapi_extra``) of a multipart form: ``file`` plus the
    fields of ``model``."""
    schema = model.model_json_schema()
    doc = {"requestBody": {**MULTIPART_DOC["requestBody"]}}
    form = {
        "type": "object",
        "required": ["file", *schema.get("required", [])],
        "properties": {"file": {"type": "string", "format": "binary"}, **schema["properties"]},
    }
    doc["requestBody"]["content"] = {"multipart/form-data": {"schema": form}}
    return doc

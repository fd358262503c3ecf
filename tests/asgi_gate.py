"""ASGI test doubles for the body gate (asgi_project.limits): a client that feeds a body chunk
by chunk and records what it was sent, an app that reads it all, and an upload's scope."""

from __future__ import annotations

KIB, MIB = 1024, 1024 * 1024


class Client:
    """Feeds a body to an ASGI app chunk by chunk and records what the app pulled and sent."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = list(chunks)
        self.pulled = 0
        self.sent: list[dict] = []

    async def receive(self) -> dict:
        if not self.chunks:
            return {"type": "http.disconnect"}
        chunk = self.chunks.pop(0)
        self.pulled += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": bool(self.chunks)}

    async def send(self, message: dict) -> None:
        self.sent.append(message)

    @property
    def status(self) -> int | None:
        return next((m["status"] for m in self.sent if m["type"] == "http.response.start"), None)

    def header(self, name: bytes) -> bytes | None:
        start = next(m for m in self.sent if m["type"] == "http.response.start")
        return dict(start["headers"]).get(name)


class ReadingApp:
    """An app that reads the whole body, noting how much the client had sent at each chunk."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.seen: list[tuple[int, int]] = []  # (bytes the app has, bytes pulled from the client)
        self.last: dict | None = None

    async def __call__(self, scope, receive, send) -> None:
        got = 0
        while True:
            message = await receive()
            self.last = message
            if message["type"] != "http.request":
                return
            got += len(message["body"])
            self.seen.append((got, self.client.pulled))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"%d" % got})


def upload_scope(*headers: tuple[bytes, bytes], path: str = "/api/songs/") -> dict:
    return {
        "type": "http",
        "method": "POST",
        "path": path,
        "query_string": b"",
        "headers": [(b"content-type", b"multipart/form-data; boundary=x"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }

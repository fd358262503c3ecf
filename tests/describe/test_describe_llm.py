"""The optional LLM interpreter against a local OpenAI-compatible server on 127.0.0.1.

The server speaks chat completions with tool calls; the model name picks its behaviour: a
valid answer, an invalid one, a slow one (past CHOREO_LLM_TIMEOUT_S), an HTTP error, no tool
call. "Down" is a port nobody listens on. Whatever it does, the request never fails: the
built-in interpreter answers instead and the response says which one did and why.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from choreography.accounts.tokens import issue_token
from choreography.describe.interpretation import CatalogSong
from choreography.describe.llm import TOOL, tool_schema
from tests.clients import TokenClient

pytestmark = pytest.mark.django_db(transaction=True)

SLOW_S = 3.0
TIMEOUT_S = 0.5


class ChatServer(BaseHTTPRequestHandler):
    requests: ClassVar[list[dict]] = []

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        ChatServer.requests.append(
            {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
        )
        model = body["model"]
        tool = body["tools"][0]["function"]
        song_id = tool["parameters"]["properties"]["song_id"]["enum"][0]
        arguments = {
            "song_id": song_id,
            "difficulty": "advanced",
            "energy_level": "high",
            "style": "playful",
            "duration_seconds": 60,
            "words": {"difficulty": ["expert"], "style": ["cheeky"], "section": ["a minute"]},
            "reasons": {"difficulty": "expert means advanced"},
        }
        if model == "invalid":
            arguments["difficulty"] = "legendary"
        if model == "unknown-song":
            arguments["song_id"] = 999_999
        if model == "slow":
            time.sleep(SLOW_S)
        if model == "error":
            return self.answer(500, {"error": {"message": "boom", "type": "server_error"}})
        call = {
            "id": "call_1",
            "type": "function",
            "function": {"name": tool["name"], "arguments": json.dumps(arguments)},
        }
        message = {"role": "assistant", "content": None, "tool_calls": [call]}
        if model == "no-tool":
            message = {"role": "assistant", "content": "I think you want bachata."}
        self.answer(
            200,
            {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": 0,
                "model": model,
                "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}],
            },
        )

    def answer(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client left
            self.wfile.write(data)


@pytest.fixture(scope="module")
def chat_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), ChatServer)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def use_llm(settings):
    def apply(base_url: str, model: str) -> None:
        settings.CHOREO = settings.CHOREO.model_copy(
            update={
                "llm_base_url": base_url,
                "llm_model": model,
                "llm_api_key": "test-key",
                "llm_timeout_s": TIMEOUT_S,
            }
        )

    return apply


async def describe(text: str = "something cheeky for experts, a minute"):
    client = TokenClient(await issue_token("alice"))
    return await client.post(
        "/api/choreography/describe/", {"text": text}, content_type="application/json"
    )


async def test_a_valid_answer_is_the_interpretation(library, chat_server, use_llm):
    """The model's tool call, validated, is the answer: interpreter "llm", its words kept."""
    song, _ = library
    use_llm(chat_server, "valid")
    ChatServer.requests.clear()
    response = await describe()
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["interpreter"], body["fallback_reason"]) == ("llm", None)
    assert (body["song"]["id"], body["difficulty"]["value"], body["style"]["value"]) == (
        song.id,
        "advanced",
        "playful",
    )
    assert body["difficulty"]["words"] == ["expert"]
    assert body["section"]["duration_seconds"] == 60
    sent = ChatServer.requests[-1]
    assert sent["path"] == "/v1/chat/completions" and sent["auth"] == "Bearer test-key"
    assert sent["body"]["tool_choice"]["function"]["name"] == TOOL
    assert sent["body"]["messages"][-1]["content"] == "something cheeky for experts, a minute"


@pytest.mark.parametrize(
    ("model", "reason"),
    [
        ("invalid", "invalid answer"),
        ("unknown-song", "not in the catalog"),
        ("error", "HTTP 500"),
        ("no-tool", f"no {TOOL} call"),
    ],
)
async def test_a_wrong_answer_falls_back_to_the_built_in_interpreter(
    library, chat_server, use_llm, model, reason
):
    """Invalid arguments, a song outside the catalog, an HTTP error, no tool call: 200 from the
    built-in interpreter, saying why."""
    use_llm(chat_server, model)
    response = await describe()
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["interpreter"] == "built-in"
    assert reason in body["fallback_reason"]
    assert body["steps"][0].startswith("the LLM did not answer")
    assert body["difficulty"]["value"] == "advanced"  # "experts", read by the built-in one


async def test_a_slow_answer_is_abandoned_at_the_timeout(library, chat_server, use_llm):
    """An endpoint slower than CHOREO_LLM_TIMEOUT_S: the built-in answer comes at the timeout."""
    use_llm(chat_server, "slow")
    started = time.monotonic()
    response = await describe()
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert response.json()["interpreter"] == "built-in"
    assert "no answer within 0.5 s" in response.json()["fallback_reason"]
    assert elapsed < SLOW_S - 1


async def test_an_endpoint_that_is_down_falls_back(library, use_llm):
    """Connection refused: the built-in interpreter answers."""
    use_llm(f"http://127.0.0.1:{free_port()}/v1", "valid")
    response = await describe()
    assert response.status_code == 200
    body = response.json()
    assert body["interpreter"] == "built-in"
    assert "cannot reach the endpoint" in body["fallback_reason"]


async def test_generate_from_words_with_the_llm_down_still_generates(library, use_llm):
    """An endpoint that is down never fails a generate request."""
    use_llm(f"http://127.0.0.1:{free_port()}/v1", "valid")
    client = TokenClient(await issue_token("alice"))
    response = await client.post(
        "/api/choreography/generate/",
        {"description": "romantic for beginners"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["interpretation"]["interpreter"] == "built-in"


def test_the_tool_schema_is_built_from_the_vocabulary_and_the_catalog():
    """Song ids of the catalog, and the vocabulary's values, as enums."""
    schema = tool_schema(
        [CatalogSong(id=7, title="A", bpm=120), CatalogSong(id=9, title="B", bpm=130)]
    )
    properties = schema["function"]["parameters"]["properties"]
    assert properties["song_id"]["enum"] == [7, 9]
    assert properties["difficulty"]["enum"] == ["beginner", "intermediate", "advanced"]
    assert properties["style"]["enum"] == ["romantic", "energetic", "sensual", "playful", None]

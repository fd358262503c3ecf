"""The OpenAPI document is generated from the schemas that validate requests, errors included."""

from __future__ import annotations

import copy

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient

from choreography.api.schemas import GenerateRequest

ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}


@pytest.fixture(scope="module")
def served_schema() -> dict:
    """/api/openapi.json as the app serves it, fetched once: the document does not depend on
    the database or on anything a test does, and serving it takes no database access. Fetched
    in a runtime of its own: the per-test one (tests.runtimes) does not exist yet."""
    from tests.runtimes import TestRuntimes

    with pytest.MonkeyPatch.context() as patch, TestRuntimes.serving(patch):
        response = async_to_sync(AsyncClient().get)("/api/openapi.json")
    assert response.status_code == 200
    return response.json()


@pytest.fixture
def schema(served_schema) -> dict:
    """A copy per test: nothing one test does to it reaches another."""
    return copy.deepcopy(served_schema)


async def test_operations_and_request_schema_come_from_the_pydantic_models(schema):
    assert set(schema["paths"]) == {
        "/api/songs/",
        "/api/songs/{song_id}/",
        "/api/moves/",
        "/api/moves/coverage/",
        "/api/moves/{move_id}/",
        "/api/choreography/generate/",
        "/api/choreography/describe/",
        "/api/choreography/options/",
        "/api/choreography/videos/",
        "/api/choreography/videos/{task_id}/",
        "/api/choreography/history/",
        "/api/choreography/history/{task_id}/retry/",
        "/api/collections/",
        "/api/collections/stats/",
        "/api/collections/{saved_id}/",
        "/api/collections/{saved_id}/share/",
        "/api/auth/register/",
        "/api/auth/login/",
        "/api/auth/logout/",
        "/api/auth/me/",
        "/api/auth/tokens/",
        "/api/auth/tokens/{prefix}/",
        "/api/class-plans/",
        "/api/class-plans/stats/",
        "/api/class-plans/{plan_id}/",
        "/api/class-plans/{plan_id}/sequences/",
        "/api/class-plans/{plan_id}/sequences/{sequence_id}/",
        "/api/class-plans/{plan_id}/order/",
        "/api/class-plans/{plan_id}/duplicate/",
        "/api/class-plans/{plan_id}/summary/",
        "/api/instructor-requests/",
        "/api/instructor-requests/mine/",
        "/api/instructor-requests/{request_id}/approve/",
        "/api/instructor-requests/{request_id}/refuse/",
        "/api/studios/mine/",
        "/api/studios/join/",
        "/api/studios/{studio_id}/",
        "/api/studios/{studio_id}/invite/",
        "/api/studios/{studio_id}/students/",
        "/api/studios/{studio_id}/students/{user_id}/",
        "/api/studios/{studio_id}/moves/",
        "/api/studios/{studio_id}/moves/{move_id}/",
        "/api/studios/{studio_id}/moves/{move_id}/preview/",
    }
    documented = schema["components"]["schemas"]["GenerateRequest"]
    model = GenerateRequest.model_json_schema()["properties"]
    for field in model.values():  # ninja leaves out "default: null"
        if field.get("default", "") is None:
            del field["default"]
    assert documented["properties"] == model
    assert documented["additionalProperties"] is False
    assert "required" not in documented  # song_id, or a description in its place


def keywords(node) -> set[str]:
    """Every key used anywhere in a JSON document."""
    if isinstance(node, dict):
        return set(node) | {k for value in node.values() for k in keywords(value)}
    if isinstance(node, list):
        return {k for value in node for k in keywords(value)}
    return set()


async def test_constraints_use_json_schema_keywords(schema):
    """pydantic emits "ge"/"le" for bounds on some optional fields; validators ignore those."""
    used = keywords(schema["components"])
    assert not used & {"ge", "le", "gt", "lt"}
    seed = schema["components"]["schemas"]["GenerateRequest"]["properties"]["seed"]
    assert seed["anyOf"][0] == {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}


async def test_every_error_status_is_documented_with_the_error_shape(schema):
    generate = schema["paths"]["/api/choreography/generate/"]["post"]
    statuses = set(generate["responses"])
    assert statuses == {
        "200",
        "400",
        "401",
        "403",
        "404",
        "409",
        "413",
        "415",
        "429",
        "500",
        "503",
        "504",
        "507",
    }
    for status, response in generate["responses"].items():
        if status != "200":
            assert response["content"]["application/json"]["schema"] == ERROR_REF, status
    for status in ("429", "503"):
        assert "Retry-After" in generate["responses"][status]["headers"]
    assert set(generate["responses"]["200"]["content"]) == {
        "application/json",
        "text/event-stream",
    }
    assert "keep-alive" in generate["description"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert response["content"]["application/json"]["schema"] == ERROR_REF, (
                        method,
                        path,
                        status,
                    )


async def test_auth_schemes_are_bearer_and_session(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["BearerTokenAuth"] == {"type": "http", "scheme": "bearer"}
    assert schemes["SessionCookieAuth"]["in"] == "cookie"
    assert "security" not in schema["paths"]["/api/songs/"]["get"]


async def test_auth_operations_are_documented(schema):
    """Sign-up and log-in need no credentials and document the throttle's 429."""
    paths = schema["paths"]
    for path, status in (("/api/auth/register/", "201"), ("/api/auth/login/", "200")):
        operation = paths[path]["post"]
        assert "security" not in operation
        assert {status, "400", "429"} <= set(operation["responses"])
        assert "Retry-After" in operation["responses"]["429"]["headers"]
    assert "401" in paths["/api/auth/login/"]["post"]["responses"]
    assert set(paths["/api/auth/me/"]) == {"get", "patch"}
    assert set(paths["/api/auth/tokens/"]) == {"get", "post"}
    assert "404" in paths["/api/auth/tokens/{prefix}/"]["delete"]["responses"]
    me = schema["components"]["schemas"]["UserOut"]["properties"]
    assert set(me) == {"id", "username", "email", "display_name", "preferences"}
    assert schema["components"]["schemas"]["MeUpdate"]["additionalProperties"] is False


async def test_library_admin_operations_are_documented(schema):
    """Uploads are multipart with a binary ``file``; edits are strict JSON; deletes may 409."""
    paths = schema["paths"]
    assert set(paths["/api/songs/"]) == {"get", "post"}
    for path in ("/api/songs/", "/api/moves/"):
        post = paths[path]["post"]
        assert {"200", "201", "400", "401", "403", "413", "415"} <= set(post["responses"])
        form = post["requestBody"]["content"]["multipart/form-data"]["schema"]
        assert form["properties"]["file"] == {"type": "string", "format": "binary"}
    assert (
        "title"
        in paths["/api/songs/"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"][
            "required"
        ]
    )
    assert set(paths["/api/songs/{song_id}/"]) == {"get", "patch", "delete"}  # detail: catalog
    assert set(paths["/api/moves/{move_id}/"]) == {"patch", "delete"}
    for path in ("/api/songs/{song_id}/", "/api/moves/{move_id}/"):
        assert "409" in paths[path]["delete"]["responses"]
    for name in ("SongUpdate", "MoveUpdate"):
        assert schema["components"]["schemas"][name]["additionalProperties"] is False


async def test_docs_page_is_served(transactional_db):
    response = await AsyncClient().get("/api/docs")
    assert response.status_code == 200
    assert b"/api/openapi.json" in response.content


async def test_timeline_entries_document_their_tempo_error(schema):
    """Each move of a timeline says how far from the song's tempo it is danced, in percent."""
    entry = schema["components"]["schemas"]["TimelineEntry"]
    field = entry["properties"]["tempo_error_percent"]
    assert {"type": "number"} in field["anyOf"] and {"type": "null"} in field["anyOf"]
    assert "percent" in field["description"]
    assert "tempo_error_percent" not in entry.get("required", [])


async def test_every_video_answer_documents_its_named_download_link(schema):
    """A generated video, a history entry and its detail carry ``download_url`` beside
    ``video_url``, both required."""
    models = schema["components"]["schemas"]
    for name in ("GenerateResponse", "VideoOut", "VideoDetail"):
        assert {"video_url", "download_url"} <= set(models[name]["required"]), name
        assert models[name]["properties"]["download_url"]["type"] == "string"


async def test_generations_history_and_saved_items_document_a_nullable_poster(schema):
    """``poster_url`` is in every answer that carries a ``video_url``: a link, or null."""
    components = schema["components"]["schemas"]
    for name in ("GenerateResponse", "VideoOut", "VideoDetail", "SavedOut"):
        poster = components[name]["properties"]["poster_url"]
        assert poster["anyOf"] == [{"type": "string"}, {"type": "null"}], name
        assert "poster_url" in components[name]["required"], name


async def test_the_generate_answer_documents_the_song_and_parameters_it_used(schema):
    """Additive fields: ``song`` (nullable) and ``parameters`` (with the library) are required
    in the answer; the request's ``seed`` is documented as the variation; the options listing
    documents a description for every choice."""
    models = schema["components"]["schemas"]
    answer = models["GenerateResponse"]
    assert {"song", "parameters"} <= set(answer["required"])
    assert {"library", "studio_id", "seed"} <= set(models["UsedParameters"]["properties"])
    assert "variation" in models["GenerateRequest"]["properties"]["seed"]["description"]
    assert models["ChoiceOut"]["required"] == ["value", "description"]
    operation = schema["paths"]["/api/choreography/options/"]["get"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/GenerateOptions"
    }

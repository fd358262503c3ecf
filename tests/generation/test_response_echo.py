"""The generate answer names the song and echoes the parameters it used; the options are listed
with a line describing each (what the page's selectors show)."""

import pytest
from django.test import AsyncClient

from choreography.accounts.tokens import issue_token
from choreography.music.vocabulary import DIFFICULTIES, ENERGY_LEVELS, STYLES
from tests.clients import TokenClient, generate, start_stream

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def client(transactional_db):
    return TokenClient(await issue_token("alice"))


async def test_the_answer_names_the_song_and_echoes_every_parameter_used(client, library):
    """Song id, title and artist; the level, energy, style and variation (seed) sent; the
    library; the section snapped to phrases; the video's duration."""
    song, _ = library
    response = await generate(
        client, library, difficulty="beginner", energy_level="low", style="romantic", seed=7
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["song"] == {"id": song.id, "title": song.title, "artist": song.artist}
    assert body["parameters"] == {
        "song_id": song.id,
        "difficulty": "beginner",
        "energy_level": "low",
        "style": "romantic",
        "seed": 7,
        "start_seconds": None,
        "end_seconds": None,
        "library": "public",
        "studio_id": None,
        "allow_repeats": False,
    }
    assert body["seed"] == 7
    assert body["duration_seconds"] > 0


async def test_defaults_and_a_drawn_variation_are_echoed_in_the_stream_too(client, library):
    """Nothing but the song sent: the final SSE event says which defaults and which random
    variation were used, and a section asked by length comes back as its phrase bounds."""
    song, _ = library
    reader = await start_stream(client, song, duration_seconds=2)
    events = [e async for e in reader.events() if e.name not in ("comment", "progress")]
    assert [e.name for e in events] == ["completed"]
    body = events[0].data
    used = body["parameters"]
    assert body["song"]["title"] == song.title
    assert (used["difficulty"], used["energy_level"], used["style"]) == (
        "intermediate",
        "medium",
        None,
    )
    assert isinstance(used["seed"], int) and used["seed"] == body["seed"]
    assert used["library"] == "public"
    assert used["start_seconds"] == body["section"]["start_seconds"]
    assert used["end_seconds"] == body["section"]["end_seconds"]


async def test_options_list_the_vocabulary_each_with_a_description(db):
    """Public, no legacy style offered, every value described in words (not just repeated)."""
    response = await AsyncClient().get("/api/choreography/options/")
    assert response.status_code == 200
    body = response.json()
    assert [c["value"] for c in body["difficulties"]] == list(DIFFICULTIES)
    assert [c["value"] for c in body["energy_levels"]] == list(ENERGY_LEVELS)
    assert [c["value"] for c in body["styles"]] == list(STYLES)
    assert "modern" not in str(body["styles"]) and "traditional" not in str(body["styles"])
    for choice in body["difficulties"] + body["energy_levels"] + body["styles"]:
        assert len(choice["description"].split()) >= 6, choice
    assert body["any_style"]
    assert body["defaults"] == {"difficulty": "intermediate", "energy_level": "medium"}


async def test_legacy_styles_are_still_accepted_from_older_clients(client, library):
    """The page does not offer "modern", but a client sending it still gets its video."""
    response = await generate(client, library, style="modern", seed=3)
    assert response.status_code == 200, response.content
    assert response.json()["parameters"]["style"] == "modern"

"""The catalog's read side in-process: song search, filters, ordering, paging, detail; moves."""

from __future__ import annotations

import pytest
from django.test import AsyncClient

from choreography.accounts.tokens import issue_token
from choreography.models import Move, Song
from choreography.music.generator import TEMPO_TOLERANCE
from choreography.music.vocabulary import BEATS_PER_PHRASE, Difficulty, EnergyLevel, Style
from tests.clients import TokenClient

pytestmark = pytest.mark.django_db(transaction=True)

SONGS = [  # title, artist, genre, bpm, duration
    ("Obsesión", "Aventura", "bachata", 126.0, 250.0),
    ("Propuesta Indecente", "Romeo Santos", "bachata", 122.0, 235.0),
    ("Eres Mía", "Romeo Santos", "bachata", 130.0, 250.0),
    ("Bachata en Fukuoka", "Juan Luis Guerra", "bachata", 132.0, 270.0),
    ("Vivir Mi Vida", "Marc Anthony", "salsa", 100.0, 250.0),
    ("Corazón Sin Cara", "Prince Royce", "bachata", 118.0, 205.0),
]


@pytest.fixture
async def songs(transactional_db) -> list[Song]:
    rows = []
    for i, (title, artist, genre, bpm, duration) in enumerate(SONGS):
        rows.append(
            await Song.objects.acreate(
                title=title,
                artist=artist,
                genre=genre,
                bpm=bpm,
                duration_seconds=duration,
                audio_key=f"songs/{i}.m4a",
                content_hash=f"song-{i}",
            )
        )
    return rows


async def get(path: str, client=None, **params):
    response = await (client or AsyncClient()).get(path, params)
    return response.status_code, response.json()


def titles(body) -> list[str]:
    return [item["title"] for item in body["items"]]


async def test_search_text_is_kept_by_save(songs):
    """Song.save() folds title and artist (lowercase, no accents) into search_text."""
    song = songs[0]
    assert song.search_text == "obsesion aventura"
    song.title = "ÁRBOL"
    await song.asave(update_fields=["title"])
    await song.arefresh_from_db()
    assert song.search_text == "arbol aventura"


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("obsesion", ["Obsesión"]),
        ("OBSESIÓN", ["Obsesión"]),
        ("corazon", ["Corazón Sin Cara"]),
        ("romeo", ["Eres Mía", "Propuesta Indecente"]),
        ("mia", ["Eres Mía"]),
        ("  ", [s[0] for s in sorted(SONGS)]),
        ("nothing like it", []),
    ],
)
async def test_search_ignores_case_and_accents_on_title_and_artist(songs, q, expected):
    """q matches title or artist whatever the case and accents, on this DATABASE_URL's engine."""
    status, body = await get("/api/songs/", q=q)
    assert status == 200
    assert titles(body) == expected
    assert body["total"] == len(expected)


async def test_genre_bpm_and_duration_filters(songs):
    """genre, bpm_min/bpm_max and duration_min/duration_max bound the list, inclusively."""
    assert titles((await get("/api/songs/", genre="salsa"))[1]) == ["Vivir Mi Vida"]
    body = (await get("/api/songs/", bpm_min=122, bpm_max=130, ordering="bpm"))[1]
    assert titles(body) == ["Propuesta Indecente", "Obsesión", "Eres Mía"]
    body = (await get("/api/songs/", duration_min=240, duration_max=250, ordering="title"))[1]
    assert titles(body) == ["Eres Mía", "Obsesión", "Vivir Mi Vida"]
    body = (await get("/api/songs/", q="romeo", bpm_min=125))[1]
    assert titles(body) == ["Eres Mía"]


@pytest.mark.parametrize(
    ("ordering", "key"),
    [
        ("title", lambda s: s.title),
        ("artist", lambda s: s.artist),
        ("bpm", lambda s: s.bpm),
        ("duration", lambda s: s.duration_seconds),
        ("created", lambda s: s.created_at),
    ],
)
async def test_each_ordering_both_ways_with_id_tie_break(songs, ordering, key):
    """Each ordering sorts ascending, and descending with '-'; equal values keep id order."""
    up = sorted(songs, key=lambda s: (key(s), s.id))
    down = sorted(songs, key=lambda s: (key(s), s.id), reverse=True)
    assert [i["id"] for i in (await get("/api/songs/", ordering=ordering))[1]["items"]] == [
        s.id for s in up
    ]
    assert [i["id"] for i in (await get("/api/songs/", ordering=f"-{ordering}"))[1]["items"]] == [
        s.id for s in down
    ]


async def test_items_carry_genre_and_default_order_is_title(songs):
    """Items carry genre; without ordering the list is by title."""
    body = (await get("/api/songs/"))[1]
    assert titles(body) == sorted(s[0] for s in SONGS)
    assert {i["genre"] for i in body["items"]} == {"bachata", "salsa"}


async def test_paging_edges(songs):
    """Pages split the list, has_next tells if more follow, a page past the end is empty."""
    first = (await get("/api/songs/", page_size=4))[1]
    second = (await get("/api/songs/", page_size=4, page=2))[1]
    assert (len(first["items"]), first["total"], first["has_next"]) == (4, 6, True)
    assert (len(second["items"]), second["has_next"]) == (2, False)
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}
    status, past = await get("/api/songs/", page=9, page_size=4)
    assert status == 200
    assert (past["items"], past["total"], past["page"], past["has_next"]) == ([], 6, 9, False)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page_size": 0}, "page_size"),
        ({"page_size": 101}, "page_size"),
        ({"page": 0}, "page"),
        ({"bpm_min": "fast"}, "bpm_min"),
        ({"bpm_max": -5}, "bpm_max"),
        ({"bpm_min": "nan"}, "bpm_min"),
        ({"duration_max": "long"}, "duration_max"),
        ({"ordering": "popularity"}, "ordering"),
    ],
)
async def test_bad_parameters_are_400_in_the_error_shape(songs, params, field):
    """Out-of-range paging, bad numbers and an unknown ordering are 400 naming the field."""
    status, body = await get("/api/songs/", **params)
    assert status == 400
    assert body["stage"] == "validation"
    assert [d["field"] for d in body["details"]] == [field]


async def test_bad_ordering_names_the_allowed_values(songs):
    """The 400 for an unknown ordering lists what is allowed."""
    _, body = await get("/api/songs/", ordering="-popularity")
    for word in ("title", "-title", "artist", "bpm", "duration", "-created"):
        assert f"'{word}'" in body["error"]


async def test_song_detail_has_phrases_on_the_grid_with_their_energy(songs):
    """Phrase starts follow first beat + i x 8 beats up to the song's end, each with its energy."""
    song = songs[0]
    song.bpm, song.first_beat_seconds, song.duration_seconds = 120.0, 0.5, 20.0
    song.energy_curve = [0.1, 0.2, 0.3, 0.25]
    song.analysis = {"bpm_source": "detected", "first_beat_source": "detected", "confidence": 0.7}
    await song.asave()
    status, body = await get(f"/api/songs/{song.id}/")
    assert status == 200
    phrase = BEATS_PER_PHRASE * 60.0 / 120.0
    assert body["phrase_seconds"] == pytest.approx(phrase)
    starts = [p["start_seconds"] for p in body["phrases"]]
    assert starts == pytest.approx([0.5 + i * phrase for i in range(5)])  # 0.5, 4.5 ... 16.5
    assert all(s < 20.0 for s in starts)
    assert [p["energy"] for p in body["phrases"]] == [0.1, 0.2, 0.3, 0.25, None]
    assert body["beat_confidence"] == 0.7
    assert body["first_beat_seconds"] == 0.5
    assert (body["title"], body["artist"], body["genre"], body["bpm"]) == (
        "Obsesión",
        "Aventura",
        "bachata",
        120.0,
    )


async def test_unknown_song_is_404(songs):
    """A song that does not exist is 404 in the error shape."""
    status, body = await get("/api/songs/999999/")
    assert status == 404
    assert body["stage"] == "lookup"


MOVES = [  # difficulty, energy, style, role, tempo
    ("beginner", "low", "romantic", "move", 120.0),
    ("beginner", "low", "romantic", "move", 131.0),
    ("beginner", "low", "romantic", "intro", 0.0),
    ("intermediate", "medium", "playful", "move", 125.0),
    ("advanced", "high", "energetic", "outro", 140.0),
    ("advanced", "high", "energetic", "move", 110.0),
]


@pytest.fixture
async def moves(transactional_db) -> list[Move]:
    rows = []
    for i, (difficulty, energy, style, role, tempo) in enumerate(MOVES):
        rows.append(
            await Move.objects.acreate(
                name=f"step-{i}",
                label=f"Step {'Turn' if i % 2 else 'Basic'} {i}",
                clip_key=f"clips/{i}.mp4",
                duration_seconds=4.0,
                frames=120,
                difficulty=difficulty,
                energy_level=energy,
                style=style,
                role=role,
                tempo_bpm=tempo,
                content_hash=f"move-{i}",
            )
        )
    return rows


@pytest.fixture
async def client(transactional_db):
    return TokenClient(await issue_token("alice"))


async def test_moves_need_a_signed_in_user(moves):
    """The moves list and the coverage are for authenticated users (401 without a token)."""
    for path in ("/api/moves/", "/api/moves/coverage/"):
        status, body = await get(path)
        assert status == 401
        assert body["stage"] == "authentication"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, [0, 1, 2, 3, 4, 5]),
        ({"difficulty": "beginner"}, [0, 1, 2]),
        ({"energy_level": "high"}, [4, 5]),
        ({"style": "playful"}, [3]),
        ({"role": "intro"}, [2]),
        ({"difficulty": "advanced", "role": "move"}, [5]),
        ({"q": "turn"}, [1, 3, 5]),
        ({"q": "STEP-4"}, [4]),
    ],
)
async def test_moves_list_filters(client, moves, params, expected):
    """difficulty, energy_level, style, role and q (name or label) filter the moves."""
    status, body = await get("/api/moves/", client, **params)
    assert status == 200
    assert [i["id"] for i in body["items"]] == [moves[i].id for i in expected]
    assert body["total"] == len(expected)


async def test_moves_paging_and_bad_values(client, moves):
    """Moves page like songs; an unknown filter value or page_size 0 is 400."""
    body = (await get("/api/moves/", client, page=2, page_size=4))[1]
    assert (len(body["items"]), body["total"], body["has_next"]) == (2, 6, False)
    assert (await get("/api/moves/", client, difficulty="expert"))[0] == 400
    assert (await get("/api/moves/", client, page_size=0))[0] == 400


async def test_coverage_counts_every_combination(client, moves):
    """Every difficulty x energy x style cell, with its move count; in_tempo only given bpm."""
    status, body = await get("/api/moves/coverage/", client)
    assert status == 200
    cells = {(c["difficulty"], c["energy_level"], c["style"]): c for c in body["cells"]}
    assert len(cells) == len(Difficulty) * len(EnergyLevel) * len(Style)
    assert cells["beginner", "low", "romantic"]["moves"] == 3
    assert cells["advanced", "high", "energetic"]["moves"] == 2
    assert cells["intermediate", "medium", "playful"]["moves"] == 1
    assert sum(c["moves"] for c in body["cells"]) == len(MOVES)
    assert {c["in_tempo"] for c in body["cells"]} == {None}


async def test_coverage_with_bpm_counts_moves_within_the_tempo_tolerance(client, moves):
    """Given bpm, in_tempo counts moves within ±8 % (a clip without tempo counts as 120)."""
    assert TEMPO_TOLERANCE == 0.08
    body = (await get("/api/moves/coverage/", client, bpm=118))[1]
    cells = {(c["difficulty"], c["energy_level"], c["style"]): c for c in body["cells"]}
    assert body["bpm"] == 118
    assert cells["beginner", "low", "romantic"]["in_tempo"] == 2  # 120 and none (120); 131 +11 %
    assert cells["intermediate", "medium", "playful"]["in_tempo"] == 1  # 125: +5.9 %
    assert cells["advanced", "high", "energetic"]["in_tempo"] == 1  # 110: -6.8 %; 140: +18.6 %
    assert sum(c["in_tempo"] for c in body["cells"]) == 4
    assert (await get("/api/moves/coverage/", client, bpm=0))[0] == 400


@pytest.mark.parametrize("bpm", [100, 111.2, 118, 120, 121.5, 130.5, 139])
async def test_coverage_agrees_with_the_generators_in_tempo_rule(client, moves, bpm):
    """The aggregate in-tempo count equals in_tempo() applied to each move, at any bpm."""
    from choreography.music.generator import MoveOption, in_tempo

    body = (await get("/api/moves/coverage/", client, bpm=bpm))[1]
    expected = sum(
        in_tempo(MoveOption(m.name, m.label, "", 4.0, "", "", "", tempo_bpm=m.tempo_bpm), bpm)
        for m in moves
    )
    assert sum(c["in_tempo"] for c in body["cells"]) == expected


async def test_page_preview_redirects_signed_in_users_to_the_audio(songs):
    """/songs/<id>/preview/ redirects a signed-in user to the signed audio link; else 403/404."""
    from django.contrib.auth import get_user_model

    assert (await AsyncClient().get(f"/songs/{songs[0].id}/preview/")).status_code == 403
    client = AsyncClient()
    await client.aforce_login(await get_user_model().objects.acreate(username="listener"))
    response = await client.get(f"/songs/{songs[0].id}/preview/")
    assert response.status_code == 302
    assert "songs/0.m4a" in response["Location"]
    assert (await client.get("/songs/999999/preview/")).status_code == 404


async def test_nul_in_text_and_huge_ids_are_refused_cleanly(songs, client):
    """A NUL in q or genre is 400 and an id beyond 64 bits is 404, never a database error."""
    assert (await get("/api/songs/", q="ab\x00c"))[0] == 400
    assert (await get("/api/songs/", genre="\x00"))[0] == 400
    assert (await get("/api/moves/", client, q="\x00"))[0] == 400
    assert (await get(f"/api/songs/{2**70}/"))[0] == 404

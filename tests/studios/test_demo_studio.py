"""The demo studio (choreography.studios.demo): made through the real upload and cut, ready for
its student to dance to their song, and made once."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from choreography.accounts.tokens import issue_token
from choreography.library.uploaded_moves import load_analysis
from choreography.models import Move
from choreography.studios.demo import DEMO_STUDIO_MOVES, create_demo_studio, label_of
from choreography.studios.models import InstructorRequest, Membership, Studio, StudioMove
from tests.clients import TokenClient

JSON = "application/json"


@pytest.mark.django_db(transaction=True)
async def test_the_demo_studio_is_ready_for_its_student_and_made_once(library, runtime):
    song, public_moves = library
    made = await create_demo_studio(runtime=runtime, size=(320, 180))
    studio = made.studio
    assert made.created_moves == len(DEMO_STUDIO_MOVES) and made.student_joined
    assert studio.name == "Demo Studio"
    instructor = await get_user_model().objects.aget(pk=studio.instructor_id)
    assert instructor.username == "demo"
    request = await InstructorRequest.objects.aget(user_id=studio.instructor_id)
    assert request.status == "approved"
    assert await Membership.objects.filter(studio=studio, user__username="student").aexists()

    moves = [m async for m in StudioMove.objects.filter(studio=studio).select_related("clip")]
    by_label = {m.label: m for m in moves}
    assert set(by_label) == {"Outside Turn", "Body Wave", "Basic Step"}
    for spec in DEMO_STUDIO_MOVES:
        move = by_label[label_of(spec)]
        assert move.status == "ready" and move.clip is not None, (move.label, move.failure)
        # the tempo was found in the sound, and the cut starts on count 1 after the lead-in
        assert move.tempo_bpm == pytest.approx(spec.bpm, abs=1.0)
        assert move.clip.tempo_source == "detected"
        assert move.start_seconds == pytest.approx(0.75, abs=0.08)
        assert move.counts >= 1 and move.clip_bytes > 0
        assert await runtime.storage.exists(move.clip.clip_key)
    filmed = (await load_analysis(by_label["Basic Step"].content_hash, runtime=runtime)).facts
    assert filmed.height > filmed.width  # the portrait path: filmed upright

    student = TokenClient(await issue_token("student"))
    answer = await student.post(
        "/api/choreography/generate/",
        {"song_id": song.pk, "seed": 3, "library": "studio", "studio_id": studio.pk},
        content_type=JSON,
    )
    assert answer.status_code == 200, answer.content
    danced = {move["name"] for move in answer.json()["moves"]}
    assert danced and danced <= {m.clip.name for m in moves}, danced

    before = (await StudioMove.objects.acount(), await Move.objects.acount())
    again = await create_demo_studio(runtime=runtime, size=(320, 180))
    assert again.studio.pk == studio.pk
    assert (again.created_moves, again.student_joined) == (0, False)
    assert (await StudioMove.objects.acount(), await Move.objects.acount()) == before
    assert await Studio.objects.acount() == 1
    assert len(public_moves) + len(DEMO_STUDIO_MOVES) == before[1]

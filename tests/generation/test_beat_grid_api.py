"""The generate response and the video detail carry the beat grid a player counts with."""

from __future__ import annotations

import pytest

from choreography.accounts.tokens import issue_token
from choreography.models import ChoreographyTask
from tests.clients import TokenClient
from tests.clients import generate_ok as generate

pytestmark = pytest.mark.django_db(transaction=True)


async def test_generate_and_detail_carry_bpm_and_first_beat(library):
    song, _ = library
    song.bpm, song.first_beat_seconds = 96.0, 0.4
    await song.asave(update_fields=["bpm", "first_beat_seconds"])
    client = TokenClient(await issue_token("alice"))
    made = await generate(client, song, seed=3)
    assert (made["bpm"], made["first_beat_seconds"]) == (pytest.approx(96.0), pytest.approx(0.4))
    detail = (await client.get(f"/api/choreography/videos/{made['task_id']}/")).json()
    assert (detail["bpm"], detail["first_beat_seconds"]) == (
        made["bpm"],
        made["first_beat_seconds"],
    )

    # A task stored before the grid was recorded falls back to its song's.
    task = await ChoreographyTask.objects.aget(pk=made["task_id"])
    task.result = {k: v for k, v in task.result.items() if k not in ("bpm", "first_beat_seconds")}
    await task.asave(update_fields=["result"])
    song.bpm = 101.0
    await song.asave(update_fields=["bpm"])
    old = (await client.get(f"/api/choreography/videos/{made['task_id']}/")).json()
    assert (old["bpm"], old["first_beat_seconds"]) == (101.0, 0.4)

"""Features below announce, features above answer: generation -> collections -> class plans.

Generation and collections import nothing above them (tests/test_architecture.py); they send
Django signals their upper neighbours receive. The quota refusal, the auto-save and the
"in a class plan" refusal are proven through the API in test_collections and test_classplans
(so the apps' receivers are connected); here: what a receiver's failure does.
"""

from __future__ import annotations

import logging

import pytest

from choreography.accounts.tokens import issue_token
from choreography.generation.signals import video_completed
from choreography.models import ChoreographyTask, TaskStatus
from tests.clients import TokenClient, generate


@pytest.fixture
async def alice(transactional_db):
    return TokenClient(await issue_token("alice"))


async def test_a_failing_completion_receiver_is_logged_and_the_video_still_made(
    alice, library, caplog
):
    """A video_completed receiver that raises is logged; the generation answers 200 and its
    row is completed (the video exists and is listed in the history)."""

    async def broken(sender, **kwargs):
        raise RuntimeError("the receiver broke")

    video_completed.connect(broken, dispatch_uid="test-broken-receiver")
    try:
        with caplog.at_level(logging.ERROR, logger="choreography.generation.service"):
            response = await generate(alice, library, seed=3)
    finally:
        video_completed.disconnect(dispatch_uid="test-broken-receiver")
    assert response.status_code == 200, response.content
    task = await ChoreographyTask.objects.aget(pk=response.json()["task_id"])
    assert task.status == TaskStatus.COMPLETED
    failures = [r for r in caplog.records if "failed for the completed generation" in r.message]
    assert len(failures) == 1
    assert "broken" in failures[0].message
    assert str(failures[0].exc_info[1]) == "the receiver broke"

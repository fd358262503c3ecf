"""``manage.py renormalize`` keeps an uploaded move's cut: the rebuild starts on its count 1
and lasts its 8-counts, in the new format, instead of normalizing the whole original."""

from __future__ import annotations

import pytest

from assembly import VideoFormat
from choreography.library.renormalize import renormalize_library
from choreography.library.uploaded_moves import Cut, analyse_upload, cut_and_normalize
from choreography.models import Move
from tests import phone_media
from tests.helpers import ffprobe

pytestmark = pytest.mark.django_db(transaction=True)

phone_clips = phone_media.phone_clips


async def test_renormalize_rebuilds_an_uploaded_move_from_its_cut(runtime, phone_clips):
    """A 9 s MOV cut to one 8-count from its second beat: after renormalize to another frame
    size the clip is still one 8-count (4.17 s at 115 BPM), not the 9 s original."""
    clip = phone_clips["mov"]
    analysis = await analyse_upload(clip.path, filename=clip.path.name, runtime=runtime)
    beat = 60 / analysis.tempo_bpm
    cut = Cut(start_seconds=round(analysis.proposed.start_seconds + beat, 4), counts=1)
    move, _ = await cut_and_normalize(analysis, cut, warm=False, runtime=runtime)
    target = VideoFormat(width=160, height=90, fps=30, crf=runtime.video_format.crf)

    report = await renormalize_library(target, runtime=runtime)
    assert report.failed == [] and report.count("rebuilt") == 1
    rebuilt = await Move.objects.aget(pk=move.pk)
    assert rebuilt.clip_format == target.label and rebuilt.clip_key != move.clip_key
    assert rebuilt.duration_seconds == pytest.approx(8 * beat, abs=0.05)
    assert rebuilt.frames == move.frames
    probed = ffprobe(await runtime.storage.local_path(rebuilt.clip_key))
    assert (probed["streams"][0]["width"], probed["streams"][0]["height"]) == (160, 90)
    assert not await runtime.storage.exists(move.clip_key)

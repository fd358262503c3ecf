"""Moves uploaded as filmed: real phone-shaped clips through analysis, the proposed cut, an
adjusted cut and the canonical clip, checked with ffprobe; and what is refused, with nothing
left behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from assembly import FFmpegCommandBuilder, InputLimits, PhoneInputError, probe_phone_clip
from choreography.library.uploaded_moves import (
    Cut,
    analyse_upload,
    cut_and_normalize,
    discard_upload,
    load_analysis,
    preview_cut,
    recut_move,
    uploads_prefix,
)
from choreography.models import Move, MoveVariant, Song
from tests import phone_media
from tests.helpers import ffprobe

pytestmark = pytest.mark.django_db(transaction=True)

phone_clips = phone_media.phone_clips
refused_files = phone_media.refused_files
"""The session fixtures of tests.phone_media (kept out of conftest.py)."""

TYPED = {"silent": 100.0}
"""The clip without sound gets its tempo typed."""
PROPOSED_COUNTS = {"portrait-hevc": 2, "vfr-60": 2, "silent": 1, "mov": 2}
"""Whole 8-counts from the known first downbeat to the end of each clip."""
BEAT_TOLERANCE_S = 0.03
BPM_TOLERANCE = 0.5


def leftovers(runtime) -> set[str]:
    """Every file in the work dirs and in storage."""
    roots = [runtime.shared_work_root, runtime.storage.root]
    return {str(p) for root in roots if root.exists() for p in root.rglob("*") if p.is_file()}


async def stored_path(runtime, key: str) -> Path:
    path = await runtime.storage.local_path(key)
    assert path is not None and path.exists(), key
    return path


@pytest.mark.parametrize("shape", list(PROPOSED_COUNTS))
async def test_analysis_proposes_a_cut_on_count_one_in_whole_8_counts(runtime, phone_clips, shape):
    """Probe facts as displayed (rotation applied, VFR seen), the tempo of the click track or
    the typed one, a start on its first count 1 and the whole 8-counts that fit; posters,
    the beat grid and the original are kept; progress goes from probing to 100 %."""
    clip = phone_clips[shape]
    events = []

    async def progress(stage: str, percent: int, message: str) -> None:
        events.append((stage, percent))

    analysis = await analyse_upload(
        clip.path,
        filename=clip.path.name,
        typed_tempo=TYPED.get(shape),
        progress=progress,
        runtime=runtime,
    )
    facts = analysis.facts
    assert (facts.width, facts.height, facts.codec) == (clip.width, clip.height, clip.codec)
    assert (facts.rotation, facts.vfr, facts.has_audio) == (
        clip.rotation,
        clip.vfr,
        clip.bpm is not None,
    )
    bpm = clip.bpm or TYPED[shape]
    assert analysis.tempo_bpm == pytest.approx(bpm, abs=BPM_TOLERANCE)
    assert analysis.tempo_source == ("detected" if clip.bpm else "given")
    assert analysis.proposed.start_seconds == pytest.approx(clip.first_beat, abs=BEAT_TOLERANCE_S)
    assert analysis.proposed.counts == PROPOSED_COUNTS[shape]
    counts = {b.count for b in analysis.beats if abs(b.seconds - analysis.first_beat) < 1e-3}
    assert counts == {1}
    assert len(analysis.posters) == 8
    for poster in analysis.posters:
        size = ffprobe(await stored_path(runtime, poster.key))["streams"][0]
        assert size["height"] == 160
        assert (size["width"] < size["height"]) == (clip.height > clip.width)
    assert await runtime.storage.exists(analysis.original_key)
    assert await load_analysis(analysis.content_hash, runtime=runtime) == analysis
    assert events[0][0] == "probing" and events[-1] == ("analysed", 100)
    assert [p for _, p in events] == sorted(p for _, p in events)


@pytest.mark.parametrize("shape", list(PROPOSED_COUNTS))
async def test_an_adjusted_cut_becomes_a_canonical_clip_of_its_8_counts(
    runtime, phone_clips, shape
):
    """The start moved by a beat and one 8-count instead of the proposal: the move's clip is
    the library's format (320x180 at 30 fps in tests, no audio, no rotation left) and lasts
    8 beats at the tempo, to the frame."""
    clip = phone_clips[shape]
    analysis = await analyse_upload(
        clip.path, filename=clip.path.name, typed_tempo=TYPED.get(shape), runtime=runtime
    )
    cut = Cut(start_seconds=analysis.proposed.start_seconds + analysis.beat_seconds, counts=1)
    move, created = await cut_and_normalize(analysis, cut, warm=False, runtime=runtime)
    assert created and move.tempo_bpm == analysis.tempo_bpm
    probe = ffprobe(await stored_path(runtime, move.clip_key))
    (video,) = probe["streams"]
    assert (video["codec_name"], video["width"], video["height"]) == ("h264", 320, 180)
    assert video["r_frame_rate"] == "30/1" and not video.get("side_data_list")
    frames = round(8 * 60 / analysis.tempo_bpm * 30)
    assert int(video["nb_read_packets"]) == frames == move.frames
    assert float(probe["format"]["duration"]) == pytest.approx(frames / 30, abs=1 / 30)
    assert (await load_analysis(analysis.content_hash, runtime=runtime)).cut == cut


async def test_the_labels_are_guessed_from_the_file_name(runtime, phone_clips):
    """ "cross body lead.mp4" is an energetic move named cross-body-lead; a phone's IMG_0042
    says nothing beyond its name."""
    portrait = await analyse_upload(
        phone_clips["portrait-hevc"].path, filename="cross body lead.mp4", runtime=runtime
    )
    assert (portrait.labels.name, portrait.labels.label, portrait.labels.style) == (
        "cross-body-lead",
        "Cross Body Lead",
        "energetic",
    )
    silent = await analyse_upload(
        phone_clips["silent"].path, filename="IMG_0042.MOV", typed_tempo=100.0, runtime=runtime
    )
    assert (silent.labels.name, silent.labels.style, silent.labels.role) == (
        "img-0042",
        "romantic",
        "move",
    )


async def test_a_recut_remakes_the_clip_from_the_kept_original(runtime, phone_clips):
    """Moving the start by a phrase and changing the length needs no new upload: the clip is
    remade from the original, the old objects and variants go, the new variants are rendered
    for the library's songs."""
    await Song.objects.acreate(
        title="Near", audio_key="library/songs/x.m4a", duration_seconds=60.0, bpm=118.0,
        content_hash="s" * 64,
    )  # fmt: skip
    clip = phone_clips["portrait-hevc"]
    analysis = await analyse_upload(clip.path, filename=clip.path.name, runtime=runtime)
    move, _ = await cut_and_normalize(analysis, analysis.proposed, runtime=runtime)
    assert move.frames == round(2 * 8 * 60 / analysis.tempo_bpm * 30)
    old_keys = [move.clip_key, move.stream_key, move.poster_key]
    old_variants = [v.stream_key async for v in MoveVariant.objects.filter(move=move)]
    assert old_variants, "the proposal's variants were rendered for the song"
    later = Cut(start_seconds=analysis.proposed.start_seconds + analysis.phrase_seconds, counts=1)
    move = await recut_move(move, later, runtime=runtime)
    stored = await Move.objects.aget(pk=move.pk)
    assert stored.frames == round(8 * 60 / analysis.tempo_bpm * 30) == move.frames
    for key in [*old_keys, *old_variants]:
        assert not await runtime.storage.exists(key), key
    assert await runtime.storage.exists(stored.clip_key)
    new_variants = [v async for v in MoveVariant.objects.filter(move=move)]
    assert new_variants and all(v.frames < move.frames * 1.2 for v in new_variants)
    assert (await load_analysis(analysis.content_hash, runtime=runtime)).cut == later


async def test_a_cut_past_the_end_is_refused_with_what_fits(runtime, phone_clips):
    """Three 8-counts of a 9.5 s clip at 120 BPM do not fit; the sentence says how many do."""
    clip = phone_clips["portrait-hevc"]
    analysis = await analyse_upload(clip.path, filename=clip.path.name, runtime=runtime)
    with pytest.raises(PhoneInputError, match="from there 2 fit"):
        await cut_and_normalize(
            analysis, Cut(start_seconds=0.5, counts=3), warm=False, runtime=runtime
        )
    assert await Move.objects.acount() == 0


async def test_the_preview_plays_the_cut_with_a_click_track(runtime, phone_clips):
    """A small MP4 (360 px high) of the cut's length, with sound (the clicks over the clip's)."""
    clip = phone_clips["mov"]
    analysis = await analyse_upload(clip.path, filename=clip.path.name, runtime=runtime)
    key = await preview_cut(analysis, analysis.proposed, runtime=runtime)
    probe = ffprobe(await stored_path(runtime, key))
    kinds = {s["codec_type"]: s for s in probe["streams"]}
    assert kinds["video"]["height"] == 360 and kinds["audio"]["codec_name"] == "aac"
    length = analysis.proposed.counts * analysis.phrase_seconds
    assert float(probe["format"]["duration"]) == pytest.approx(length, abs=0.1)
    assert await preview_cut(analysis, analysis.proposed, runtime=runtime) == key


REFUSALS = {
    "still image": (None, "is a still image, not a video"),
    "still image in a MOV": (None, "is a still image, not a video"),
    "playlist": (None, "is a playlist, not a video"),
    "not a video": (None, "is not a video that can be read"),
    "too short": (None, r"lasts 3\.0 s: a move must last at least 5 s"),
    "too long": (None, r"lasts 125\.0 s: a move may last at most 120 s"),
    "short for an 8-count": (70.0, "is too short for one 8-count at 70.0 BPM"),
}


@pytest.mark.parametrize("kind", list(REFUSALS))
async def test_bad_input_gets_a_sentence_and_leaves_nothing_behind(runtime, refused_files, kind):
    """Each refusal names the file and what is wrong; no work file, no stored object remains."""
    typed, sentence = REFUSALS[kind]
    path = refused_files[kind]
    before = leftovers(runtime)
    with pytest.raises(PhoneInputError, match=sentence) as caught:
        await analyse_upload(path, filename=path.name, typed_tempo=typed, runtime=runtime)
    assert caught.value.message.startswith(path.name)
    assert leftovers(runtime) == before


async def test_no_sound_and_no_typed_tempo_asks_for_the_tempo(runtime, phone_clips):
    """A silent clip without a typed tempo: asked for one, nothing kept."""
    before = leftovers(runtime)
    with pytest.raises(PhoneInputError, match=r"has no sound .* type the tempo \(BPM\)"):
        await analyse_upload(phone_clips["silent"].path, filename="IMG_0042.mp4", runtime=runtime)
    assert leftovers(runtime) == before


async def test_a_playlist_is_refused_by_the_demuxer_even_unrecognised(
    runtime, refused_files, monkeypatch
):
    """Past the first-bytes check (as for a list it does not know), the MOV/MP4 demuxer and
    file-only protocols refuse the playlist: FFmpeg never opens what it names."""
    monkeypatch.setattr("assembly.phone.sniff", lambda head: None)
    with pytest.raises(PhoneInputError, match="is not a video that can be read"):
        await probe_phone_clip(
            refused_files["playlist"],
            FFmpegCommandBuilder(),
            name="playlist.mov",
            limits=InputLimits(),
        )


async def test_an_upload_nobody_keeps_is_discarded_whole(runtime, phone_clips):
    """discard_upload deletes the original, the posters, the previews and the analysis."""
    clip = phone_clips["vfr-60"]
    analysis = await analyse_upload(clip.path, filename=clip.path.name, runtime=runtime)
    await preview_cut(analysis, analysis.proposed, runtime=runtime)
    prefix = uploads_prefix(analysis.content_hash)
    assert len(await runtime.storage.list(prefix)) == 10  # 8 posters, analysis, preview
    await discard_upload(analysis, runtime=runtime)
    assert await runtime.storage.list(prefix) == []
    assert not await runtime.storage.exists(analysis.original_key)

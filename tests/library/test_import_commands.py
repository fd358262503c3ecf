"""The import commands with real FFmpeg: idempotency, skip-and-report, exit status, metadata."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from choreography.library.sources import ManifestError, jobs_from_manifest
from choreography.models import Move, MoveVariant, Song
from choreography.music.catalog import DIFFICULTY_MAP, derive_role, derive_style
from choreography.music.generator import DEFAULT_CLIP_TEMPO_BPM
from tests.clients import run_command
from tests.conftest import FMT, s3_config_update
from tests.helpers import make_canonical_clip, make_click_track, make_dance_clip
from tests.s3server import SeaweedServer

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def clip_dir(media_dir) -> Path:
    """A directory as a dancer would hand it over: footage, one file that is not a video."""
    folder = media_dir / "moves"
    folder.mkdir()
    make_dance_clip(folder / "cross_body_lead.mp4", 4.0, bpm=132.0)  # has a click track
    make_canonical_clip(folder / "Body Roll.mp4", 50, FMT)  # no audio: default tempo
    (folder / "notes.mp4").write_bytes(b"this is not a video" * 50)
    return folder


@pytest.fixture(scope="session")
def click_song(media_dir) -> Path:
    return make_click_track(media_dir / "import-click.m4a", 141.0, 0.37, 10.0)


def test_import_moves_imports_a_directory_and_reports_what_it_skipped(clip_dir, tmp_path):
    """Good clips import; a missing path and an undecodable file are named; exit status 1."""
    missing = tmp_path / "gone.mp4"
    out, err, error = run_command("import_moves", clip_dir, missing)
    assert error is not None and error.returncode == 1
    assert "2 imported, 0 already in the library, 2 skipped" in out
    assert f"skipped {missing}: file not found" in err
    assert "notes.mp4" in err
    assert "] 4/4 " in out + err  # the progress bar reached the end

    moves = {m.name: m for m in Move.objects.all()}
    assert set(moves) == {"cross-body-lead", "body-roll"}
    lead, roll = moves["cross-body-lead"], moves["body-roll"]
    assert lead.tempo_source == "detected"
    assert lead.tempo_bpm == pytest.approx(132.0, abs=0.5)
    assert (lead.style, lead.difficulty, lead.energy_level) == (
        "energetic",
        "intermediate",
        "medium",
    )
    assert (roll.tempo_source, roll.tempo_bpm) == ("default", DEFAULT_CLIP_TEMPO_BPM)
    assert (roll.style, roll.label) == ("sensual", "Body Roll")
    assert lead.frames == round(4.0 * FMT.fps)  # normalized to the canonical 30 fps


def test_import_moves_again_is_a_no_op(clip_dir):
    """Re-importing the same files creates nothing: the content hash is the identity."""
    run_command("import_moves", clip_dir)
    before = list(Move.objects.values_list("name", "content_hash", "clip_key"))
    out, _, error = run_command("import_moves", clip_dir, "--tempo", "128")
    assert "0 imported, 2 already in the library, 1 skipped" in out
    assert error.returncode == 1  # notes.mp4 is still undecodable
    assert list(Move.objects.values_list("name", "content_hash", "clip_key")) == before


def test_import_moves_flags_set_the_metadata(clip_dir):
    out, _, error = run_command(
        "import_moves", clip_dir / "Body Roll.mp4", "--difficulty", "advanced", "--energy",
        "high", "--style", "playful", "--tempo", "126", "--role", "outro",
    )  # fmt: skip
    assert error is None, out
    move = Move.objects.get()
    assert (move.difficulty, move.energy_level, move.style, move.role) == (
        "advanced", "high", "playful", "outro",
    )  # fmt: skip
    assert (move.tempo_bpm, move.tempo_source) == (126.0, "metadata")


def write_manifest(tmp_path, clips):
    manifest = tmp_path / "annotations.json"
    manifest.write_text(
        json.dumps(
            {
                "instructions": "label each clip",
                "move_categories": ["basic_step", "body_roll", "intro"],
                "clips": clips,
            }
        )
    )
    return manifest


def test_import_moves_from_an_annotation_manifest(clip_dir, tmp_path):
    """Difficulty low/medium/high maps to our levels, estimated_tempo is the clip's tempo,
    style and role come from the label; a missing video and a bad entry are skipped by id."""
    entry = {"energy_level": "high", "estimated_tempo": 129, "difficulty": "low"}
    manifest = write_manifest(
        tmp_path,
        [
            {**entry, "clip_id": "clip_001", "video_path": "cross_body_lead.mp4",
             "move_label": "basic_step"},
            {**entry, "clip_id": "clip_002", "video_path": "Body Roll.mp4",
             "move_label": "intro_walk", "difficulty": "high"},
            {**entry, "clip_id": "clip_003", "video_path": "nope/missing.mp4",
             "move_label": "dip"},
            {**entry, "clip_id": "clip_004", "video_path": "Body Roll.mp4",
             "move_label": "dip", "difficulty": "expert"},
        ],
    )  # fmt: skip
    out, err, error = run_command("import_moves", "--annotations", manifest, "--root", clip_dir)
    assert error is not None and error.returncode == 1
    assert "2 imported, 0 already in the library, 2 skipped" in out
    assert "clip_003: file not found" in err
    assert "clip_004: invalid entry: difficulty" in err
    moves = {m.name: m for m in Move.objects.all()}
    basic, walk = moves["clip-001"], moves["clip-002"]
    assert (basic.label, basic.style, basic.difficulty, basic.energy_level) == (
        "Basic Step", "romantic", "beginner", "high",
    )  # fmt: skip
    assert (basic.tempo_bpm, basic.tempo_source, basic.role) == (129.0, "metadata", "move")
    assert (walk.role, walk.difficulty) == ("intro", "advanced")


def test_a_manifest_that_is_not_json_is_a_clear_error(tmp_path):
    bad = tmp_path / "a.json"
    bad.write_text("{not json")
    _, _, error = run_command("import_moves", "--annotations", bad)
    assert error is not None and "cannot read annotation file" in str(error)
    with pytest.raises(ManifestError, match='"clips" list'):
        bad.write_text('{"clips": 3}')
        jobs_from_manifest(bad, tmp_path)


def test_import_song_detects_tempo_and_first_downbeat(click_song):
    """Without --bpm the song is analysed; a second import is a no-op."""
    out, _, error = run_command("import_song", click_song, "--title", "Click", "--artist", "Me")
    assert error is None, out
    song = Song.objects.get()
    assert song.bpm == pytest.approx(141.0, abs=0.5)
    assert song.first_beat_seconds == pytest.approx(0.37, abs=0.02)
    assert song.analysis["bpm_source"] == "detected"
    assert len(song.energy_curve) == 3  # (10 - 0.37) s / 3.4 s per phrase
    assert "141" in out and "first downbeat 0.3" in out
    out, _, error = run_command("import_song", click_song, "--title", "Click")
    assert error is None
    assert "already in the library" in out
    assert Song.objects.count() == 1


def test_import_song_given_values_win(click_song):
    run_command("import_song", click_song, "--title", "C", "--bpm", "140.5", "--first-beat", "0.4")
    song = Song.objects.get()
    assert (song.bpm, song.first_beat_seconds) == (140.5, 0.4)
    assert song.analysis["bpm_source"] == song.analysis["first_beat_source"] == "given"


def test_import_song_reports_missing_and_undecodable_files(clip_dir, tmp_path):
    _, err, error = run_command("import_song", tmp_path / "none.mp3", "--title", "X")
    assert error.returncode == 1 and "none.mp3: file not found" in err
    _, err, error = run_command("import_song", clip_dir / "notes.mp4", "--title", "X")
    assert error.returncode == 1 and "notes.mp4" in err
    assert Song.objects.count() == 0


@pytest.fixture
def own_s3(settings, s3_server, tmp_path):
    """A SeaweedFS server of this test's own, which it may stop and restart; the app uses it.

    (``s3_server`` for the credentials it puts in the environment.)"""
    server = SeaweedServer(tmp_path / "weed")
    server.start()
    settings.CHOREO = settings.CHOREO.model_copy(update=s3_config_update(server))
    try:
        yield server
    finally:
        server.stop(kill=True)


def bucket_keys(server: SeaweedServer) -> set[str]:
    listing = server.client().list_objects_v2(Bucket=server.bucket)
    return {item["Key"] for item in listing.get("Contents", [])}


def test_an_s3_outage_fails_each_file_by_name_and_a_rerun_imports_them(
    own_s3, canonical_clips, click_song, caplog
):
    """S3 down: every file that needed it is named with the reason, the rest go on, exit 1, no
    traceback (each command ends in a CommandError, nothing is logged as an error). Once S3 is
    back the same commands import exactly what is missing (content hash: nothing twice)."""
    clips = canonical_clips[:3]
    _, _, error = run_command("import_moves", clips[0])
    assert error is None
    own_s3.stop()

    out, err, error = run_command("import_moves", *clips)
    assert error is not None and error.returncode == 1
    assert str(error) == "2 file(s) not imported"
    assert "0 imported, 1 already in the library, 0 skipped, 2 failed" in out
    for clip in clips[1:]:
        line = next(line for line in err.splitlines() if line.startswith(f"  failed {clip}: "))
        assert "S3 upload of 'library/" in line, err
        assert f"at {own_s3.endpoint_url} failed: cannot connect to the endpoint" in line, err
    assert "run the same command again" in err
    _, err, error = run_command("import_song", click_song, "--title", "Click", "--bpm", "141")
    assert error is not None and error.returncode == 1
    assert err.startswith(f"failed {click_song}: S3 upload of 'library/"), err
    assert "cannot connect to the endpoint" in err
    assert (Move.objects.count(), Song.objects.count()) == (1, 0)
    assert [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")] == []

    own_s3.start()
    out, err, error = run_command("import_moves", *clips)
    assert error is None, err
    assert "2 imported, 1 already in the library, 0 skipped, 0 failed" in out
    _, _, error = run_command("import_song", click_song, "--title", "Click", "--bpm", "141")
    assert error is None
    assert (Move.objects.count(), Song.objects.count()) == (3, 1)
    stored = {
        key
        for move in Move.objects.all()
        for key in (move.clip_key, move.stream_key, move.poster_key, move.original_key)
    }
    variants = set(MoveVariant.objects.values_list("stream_key", flat=True))  # the song's tempo
    song = Song.objects.get()
    assert bucket_keys(own_s3) == stored | variants | {song.audio_key, song.original_key}


def test_the_exit_status_is_non_zero_from_the_shell(tmp_path):
    """Through manage.py for real: a skipped file means exit status 1 and its name on stderr."""
    env = {
        **os.environ,
        "CHOREO_DATA_DIR": str(tmp_path / "data"),
        "DJANGO_SETTINGS_MODULE": "asgi_project.settings",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "import_moves", str(tmp_path / "missing.mov")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1
    assert "missing.mov: file not found" in result.stderr


@pytest.mark.parametrize(
    ("label", "clip_id", "style"),
    [
        ("body_roll", "c1", "sensual"),
        ("Hip Roll Combo", "", "sensual"),
        ("cuddle turn", "", "romantic"),
        ("basic_step", "", "romantic"),
        ("shadow position", "", "playful"),
        ("tap and slide", "", "playful"),
        ("inside turn", "", "energetic"),
        ("Cross-Body Lead", "", "energetic"),
        ("combination", "clip_double_spin", "energetic"),
        ("unknown thing", "x", "romantic"),
    ],
)
def test_style_table(label, clip_id, style):
    """The documented table: first matching row wins, at the start of a word."""
    assert derive_style(label, clip_id) == style


def test_roles_and_difficulty_map():
    assert derive_role("intro_walk") == "intro"
    assert derive_role("final", "song_ending_03") == "outro"
    assert derive_role("introspective spin") == "move"  # role keywords are whole words
    assert derive_role("basic") == "move"
    assert DIFFICULTY_MAP == {"low": "beginner", "medium": "intermediate", "high": "advanced"}

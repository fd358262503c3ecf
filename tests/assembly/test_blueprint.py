"""Blueprint validation and JSON round-trip (requirement R3)."""

import copy
import json
import logging

import pytest

from assembly import Blueprint
from assembly import blueprint as blueprint_module
from assembly.errors import BlueprintError

SEED = {
    "task_id": "abc-123",
    "audio_path": "songs/song.m4a",
    "audio_tempo": 128.0,
    "total_duration": 16.0,
    "difficulty_level": "intermediate",
    "generation_timestamp": "2024-05-01T12:00:00Z",
    "generation_parameters": {"energy_level": "medium", "style": "romantic"},
    "moves": [
        {
            "clip_id": "basic_step_1",
            "video_path": "moves/basic.mp4",
            "start_time": 0.0,
            "duration": 8.0,
            "transition_type": "cut",
            "original_duration": 10.0,
            "trim_start": 0.0,
            "trim_end": 0.0,
            "volume_adjustment": 1.0,
        },
        {
            "clip_id": "turn_1",
            "video_path": "moves/turn.mp4",
            "start_time": 8.0,
            "duration": 8.0,
            "transition_type": "crossfade",
            "original_duration": 9.0,
            "trim_start": 0.0,
            "trim_end": 0.0,
            "volume_adjustment": 0.8,
        },
    ],
    "output_config": {
        "output_path": "videos/abc-123.mp4",
        "output_format": "mp4",
        "video_codec": "libx264",
        "audio_codec": "aac",
        "video_bitrate": "2M",
        "audio_bitrate": "128k",
        "frame_rate": 30,
        "transition_duration": 0.5,
        "fade_duration": 1.0,
        "add_audio_overlay": True,
        "normalize_audio": False,
    },
}
"""The seed system's blueprint, every field it writes, as its generator writes them (no trims)."""


@pytest.fixture
def ignored_log(caplog):
    """Records of "accepted but not applied", with the once-per-process memory cleared."""
    blueprint_module._log_ignored.cache_clear()
    caplog.set_level(logging.WARNING, logger="assembly.blueprint")
    yield lambda: [r.getMessage() for r in caplog.records if r.name == "assembly.blueprint"]
    blueprint_module._log_ignored.cache_clear()


def blueprint_dict(**overrides):
    data = {
        "task_id": "t1",
        "audio_path": "library/songs/a.m4a",
        "moves": [
            {"video_path": "library/clips/a.mp4", "start_time": 0.0, "duration": 2.0},
            {"video_path": "library/clips/b.mp4", "start_time": 2.0, "duration": 1.5},
        ],
        "output_config": {"output_path": "videos/t1.mp4"},
    }
    data.update(overrides)
    return data


def test_valid_blueprint_round_trips_through_json():
    """Serializing to JSON and parsing back gives an equal blueprint."""
    blueprint = Blueprint.parse(blueprint_dict())
    assert Blueprint.parse(blueprint.model_dump_json()) == blueprint
    assert blueprint.total_duration == pytest.approx(3.5)
    assert blueprint.output_config.video_codec == "libx264"


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"audio_path": "../etc/passwd"}, "'..'"),
        ({"audio_path": "/etc/passwd"}, "absolute"),
        ({"audio_path": ""}, "empty"),
        ({"moves": []}, "at least 1"),
        (
            {"moves": [{"video_path": "a/../../b.mp4", "start_time": 0, "duration": 1}]},
            "'..'",
        ),
        ({"moves": [{"video_path": "/abs.mp4", "start_time": 0, "duration": 1}]}, "absolute"),
        ({"moves": [{"video_path": "a.mp4", "start_time": 0, "duration": 0}]}, "greater than 0"),
        ({"moves": [{"video_path": "a.mp4", "start_time": 0, "duration": -1}]}, "greater than 0"),
        (
            {"moves": [{"video_path": "a.mp4", "start_time": -1, "duration": 1}]},
            "greater than or equal",
        ),
        ({"moves": [{"video_path": "a.mp4", "start_time": 0, "duration": "inf"}]}, "finite"),
        (
            {
                "moves": [
                    {"video_path": "a.mp4", "start_time": 0, "duration": 2},
                    {"video_path": "b.mp4", "start_time": 3, "duration": 1},
                ]
            },
            "contiguous",
        ),
        ({"output_config": {"output_path": "../out.mp4"}}, "'..'"),
        ({"task_id": ""}, "at least 1"),
        ({"audio_tempo": 0}, "greater than 0"),
        ({"total_duration": "inf"}, "finite"),
        ({"generation_parameters": ["style"]}, "valid dictionary"),
        ({"output_config": {"output_path": "o.mp4", "frame_rate": -30}}, "greater than 0"),
        ({"output_config": {"output_path": "o.mp4", "normalize_audio": "maybe"}}, "boolean"),
        (
            {"moves": [{"video_path": "a.mp4", "start_time": 0, "duration": 1, "trim_end": -1}]},
            "moves.0.trim_end: Input should be greater than or equal to 0",
        ),
        (
            {
                "moves": [
                    {"video_path": "a.mp4", "start_time": 0, "duration": 1, "trim_start": -0.5}
                ]
            },
            "moves.0.trim_start: Input should be greater than or equal to 0",
        ),
        (
            {
                "moves": [
                    {
                        "video_path": "a.mp4",
                        "start_time": 0,
                        "duration": 1,
                        "original_duration": 3,
                        "trim_start": 2,
                        "trim_end": 1,
                    }
                ]
            },
            "trim_start (2s) and trim_end (1s) overlap: together they trim 3s of a 3s clip",
        ),
        (
            {
                "moves": [
                    {
                        "video_path": "a.mp4",
                        "start_time": 0,
                        "duration": 1,
                        "original_duration": 3,
                        "trim_end": 4.5,
                    }
                ]
            },
            "together they trim 4.5s of a 3s clip",
        ),
        (
            {
                "moves": [
                    {
                        "video_path": "a.mp4",
                        "start_time": 0,
                        "duration": 1,
                        "volume_adjustment": 1.2,
                    }
                ]
            },
            "moves.0.volume_adjustment: Input should be less than or equal to 1",
        ),
        (
            {
                "moves": [
                    {
                        "video_path": "a.mp4",
                        "start_time": 0,
                        "duration": 1,
                        "volume_adjustment": -0.1,
                    }
                ]
            },
            "moves.0.volume_adjustment: Input should be greater than or equal to 0",
        ),
        (
            {
                "moves": [
                    {
                        "video_path": "a.mp4",
                        "start_time": 0,
                        "duration": 1,
                        "transition_type": "wipe",
                    }
                ]
            },
            "'cut' or 'crossfade'",
        ),
    ],
)
def test_invalid_blueprints_are_rejected_with_a_descriptive_error(overrides, fragment):
    """Each invalid blueprint raises BlueprintError naming the problem, before any I/O."""
    with pytest.raises(BlueprintError) as caught:
        Blueprint.parse(blueprint_dict(**overrides))
    assert caught.value.stage == "validation"
    assert fragment in caught.value.details


def test_missing_field_is_named():
    """A missing required field is named in the error details."""
    data = blueprint_dict()
    del data["audio_path"]
    with pytest.raises(BlueprintError, match="invalid blueprint") as caught:
        Blueprint.parse(data)
    assert "audio_path" in caught.value.details


BAD_KEYS = {
    "absolute": ("/etc/passwd", "absolute"),
    "dot-dot": ("songs/../../etc/passwd", "'..'"),
    "backslash": ("songs\\..\\secret.m4a", "backslashes"),
    "nul": ("songs/a\x00.m4a", "NUL"),
    "empty": ("", "non-empty"),
}


def with_key(field: str, key: str) -> dict:
    """``blueprint_dict()`` with ``key`` at ``field`` (a dotted path into the document)."""
    data = blueprint_dict()
    if field == "audio_path":
        data["audio_path"] = key
    elif field == "moves.0.video_path":
        data["moves"][0]["video_path"] = key
    else:
        data["output_config"]["output_path"] = key
    return data


@pytest.mark.parametrize("field", ["audio_path", "moves.0.video_path", "output_config.output_path"])
@pytest.mark.parametrize("form", list(BAD_KEYS))
def test_each_unsafe_path_form_is_refused_naming_the_field(field, form):
    """Every unsafe key form the storage layer refuses is a BlueprintError naming the field."""
    key, reason = BAD_KEYS[form]
    with pytest.raises(BlueprintError) as caught:
        Blueprint.parse(with_key(field, key))
    assert caught.value.stage == "validation"
    assert field in caught.value.message
    assert f"{field}: Value error, invalid storage key" in caught.value.details
    assert reason in caught.value.details


def test_the_seed_systems_blueprint_is_accepted():
    """The seed format's full document parses, its fields typed and readable."""
    parsed = Blueprint.parse(json.dumps(SEED))
    turn = parsed.moves[1]
    assert (turn.clip_id, turn.transition_type, turn.trim_end) == ("turn_1", "crossfade", 0.0)
    assert turn.volume_adjustment == pytest.approx(0.8)
    assert parsed.output_config.frame_rate == 30
    assert parsed.output_config.add_audio_overlay is True
    assert parsed.generation_parameters == {"energy_level": "medium", "style": "romantic"}
    assert parsed.declared_duration == parsed.total_duration == 16.0


def test_the_seed_blueprint_round_trips_to_an_equivalent_document():
    """Parsing the seed JSON and writing it back gives the same document, field for field."""
    assert json.loads(Blueprint.parse(json.dumps(SEED)).to_json()) == SEED


def test_fields_absent_from_the_input_stay_absent_from_the_output():
    """Defaults and unset optional fields are not written out: the output is what was read."""
    data = blueprint_dict()
    assert json.loads(Blueprint.parse(data).to_json()) == data


def test_unknown_fields_are_kept_at_every_level():
    """Fields this service does not know survive parsing and serializing, nested values too."""
    data = copy.deepcopy(SEED)
    data["schema_version"] = 3
    data["moves"][0]["lead_follow"] = {"lead": "left", "counts": [1, 2, 3]}
    data["output_config"]["watermark"] = None
    parsed = Blueprint.parse(data)
    assert parsed.model_extra == {"schema_version": 3}
    assert json.loads(parsed.to_json()) == data


def test_crossfade_is_accepted_and_logged_once_per_process(ignored_log):
    """A crossfade is not refused; that it is not applied is logged once, not on every parse."""
    for _ in range(2):
        assert Blueprint.parse(SEED).moves[1].transition_type == "crossfade"
    crossfade = [m for m in ignored_log() if "crossfade" in m]
    assert len(crossfade) == 1
    assert "not applied" in crossfade[0]


def test_every_request_the_assembly_cannot_honour_is_accepted_and_named(ignored_log):
    """Each feature the copy-only assembly skips is logged once under its own name."""
    data = copy.deepcopy(SEED)
    data["total_duration"] = 20.0
    data["output_config"].update(
        output_format="webm", normalize_audio=True, add_audio_overlay=False
    )
    Blueprint.parse(data)
    Blueprint.parse(data)
    assert Blueprint.parse(data).ignored() == set(blueprint_module.IGNORED)
    messages = ignored_log()
    assert len(messages) == len(blueprint_module.IGNORED)
    for feature in blueprint_module.IGNORED:
        assert any(f"blueprint {feature} is accepted" in m for m in messages), feature


def test_trim_end_zero_means_no_trim_as_the_seed_system_writes_it():
    """``trim_end: 0.0`` (the seed's "nothing trimmed from the end") is accepted, not refused."""
    move = Blueprint.parse(SEED).moves[0]
    assert (move.trim_start, move.trim_end) == (0.0, 0.0)
    assert move.trim_frames(30) == (0, 0)


def test_trims_are_seconds_from_each_end_in_frames():
    """trim_start and trim_end count seconds from the clip's start and from its end."""
    data = copy.deepcopy(SEED)
    data["moves"][0].update(trim_start=1.5, trim_end=2.0)
    assert Blueprint.parse(data).moves[0].trim_frames(30) == (45, 60)


def test_trims_without_original_duration_are_checked_at_assembly_not_here():
    """Without original_duration the clip's length is unknown here: large trims parse."""
    moves = [
        {"video_path": "a.mp4", "start_time": 0, "duration": 1, "trim_start": 9, "trim_end": 9}
    ]
    assert Blueprint.parse(blueprint_dict(moves=moves)).moves[0].trim_frames(30) == (270, 270)


def test_volume_segments_merge_runs_of_one_gain_and_skip_the_unchanged():
    """Consecutive moves with one gain make one stretch; moves at 1.0 (or unset) make none."""
    data = blueprint_dict(
        moves=[
            {"video_path": "a.mp4", "start_time": 0, "duration": 2, "volume_adjustment": 1.0},
            {"video_path": "a.mp4", "start_time": 2, "duration": 1, "volume_adjustment": 0.5},
            {"video_path": "a.mp4", "start_time": 3, "duration": 1, "volume_adjustment": 0.5},
            {"video_path": "a.mp4", "start_time": 4, "duration": 1, "volume_adjustment": 0.0},
            {"video_path": "a.mp4", "start_time": 5, "duration": 1},
            {"video_path": "a.mp4", "start_time": 6, "duration": 1, "volume_adjustment": 0.5},
        ]
    )
    assert Blueprint.parse(data).volume_segments() == [(2, 4, 0.5), (4, 5, 0.0), (6, 7, 0.5)]
    assert Blueprint.parse(blueprint_dict()).volume_segments() == []
    assert Blueprint.parse(SEED).volume_segments() == [(8.0, 16.0, 0.8)]


def test_a_plain_blueprint_logs_nothing(ignored_log):
    """A blueprint that asks only for what the assembly does is silent."""
    assert Blueprint.parse(blueprint_dict()).ignored() == set()
    assert ignored_log() == []


@pytest.mark.parametrize("rate", [None, 30, 30.0])
def test_the_librarys_frame_rate_or_none_passes_the_check(rate):
    """A blueprint without frame_rate, or with the library's, can be assembled."""
    output = {"output_path": "videos/t1.mp4", **({} if rate is None else {"frame_rate": rate})}
    Blueprint.parse(blueprint_dict(output_config=output)).output_config.check_frame_rate(30)


def test_another_frame_rate_is_refused_naming_the_field():
    """A frame rate the copy-only assembly cannot produce is a BlueprintError, not a log line."""
    output = {"output_path": "videos/t1.mp4", "frame_rate": 29.97}
    config = Blueprint.parse(blueprint_dict(output_config=output)).output_config
    with pytest.raises(BlueprintError, match=r"output_config\.frame_rate is 29\.97 fps") as caught:
        config.check_frame_rate(30)
    assert caught.value.stage == "validation"

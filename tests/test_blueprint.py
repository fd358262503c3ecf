"""Blueprint validation and JSON round-trip (requirement R3)."""

import pytest

from assembly import Blueprint
from assembly.errors import BlueprintError


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
        ({"extra": 1}, "Extra inputs"),
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

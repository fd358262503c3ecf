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

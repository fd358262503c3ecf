"""Start-up configuration: typed, validated, and every error names the variable."""

from __future__ import annotations

import pytest

from choreography.config import ConfigError, load_config
from choreography.runtime import s3_settings


def s3_env(**extra: str) -> dict[str, str]:
    return {"STORAGE_BACKEND": "s3", "S3_BUCKET": "choreo-media", **extra}


def test_local_is_the_default_and_needs_no_s3_variables():
    """Without STORAGE_BACKEND the local backend is used and S3 settings stay unset."""
    config = load_config({})
    assert config.storage_backend == "local"
    assert config.s3_bucket is None
    assert config.url_ttl_s == 3600


def test_s3_defaults():
    """S3 defaults: us-east-1, path style with an endpoint and virtual without, TTL 3600 s."""
    aws = s3_settings(load_config(s3_env()))
    assert (aws.bucket, aws.region, aws.style, aws.endpoint_url) == (
        "choreo-media",
        "us-east-1",
        "virtual",
        None,
    )
    custom = s3_settings(
        load_config(
            s3_env(
                S3_ENDPOINT_URL="http://127.0.0.1:8333/",
                S3_REGION="eu-west-1",
                S3_KEY_PREFIX="/choreo/media/",
                CHOREO_URL_TTL_S="600",
            )
        )
    )
    assert custom.endpoint_url == "http://127.0.0.1:8333"
    assert (custom.style, custom.region, custom.key_prefix, custom.url_ttl_s) == (
        "path",
        "eu-west-1",
        "choreo/media/",
        600,
    )
    forced = load_config(s3_env(S3_ENDPOINT_URL="http://x:1", S3_ADDRESSING_STYLE="virtual"))
    assert s3_settings(forced).style == "virtual"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"STORAGE_BACKEND": "s3"},
            "invalid configuration: S3_BUCKET is required when STORAGE_BACKEND=s3",
        ),
        (
            {"STORAGE_BACKEND": "gcs"},
            "invalid configuration: STORAGE_BACKEND='gcs': Input should be 'local' or 's3'",
        ),
        (s3_env(S3_BUCKET="My_Bucket"), "S3_BUCKET='My_Bucket': expected an S3 bucket name"),
        (s3_env(S3_BUCKET="b"), "S3_BUCKET='b': expected an S3 bucket name"),
        (s3_env(S3_BUCKET="192.168.1.1"), "S3_BUCKET='192.168.1.1': expected an S3 bucket name"),
        (
            s3_env(S3_ENDPOINT_URL="localhost:8333"),
            "S3_ENDPOINT_URL='localhost:8333': expected an http:// or https:// URL",
        ),
        (
            s3_env(S3_PUBLIC_ENDPOINT_URL="ftp://x"),
            "S3_PUBLIC_ENDPOINT_URL='ftp://x': expected an http:// or https:// URL",
        ),
        (
            s3_env(S3_ADDRESSING_STYLE="dns"),
            "S3_ADDRESSING_STYLE='dns': Input should be 'path' or 'virtual'",
        ),
        (s3_env(S3_KEY_PREFIX="a/../b"), "S3_KEY_PREFIX='a/../b': expected a relative key prefix"),
        (s3_env(CHOREO_URL_TTL_S="0"), "CHOREO_URL_TTL_S='0': Input should be greater than"),
        (
            s3_env(CHOREO_URL_TTL_S="999999"),
            "CHOREO_URL_TTL_S='999999': Input should be less than or equal to 604800",
        ),
    ],
)
def test_bad_values_name_the_variable(env, message):
    """Each bad value stops start-up with one line naming the variable, the value and why."""
    with pytest.raises(ConfigError) as caught:
        load_config(env)
    text = str(caught.value)
    assert message in text
    assert "\n" not in text

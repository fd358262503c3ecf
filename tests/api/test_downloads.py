"""Downloads are named after the song and the parameters, on local storage and on S3, whatever
characters the title holds."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import httpx
import pytest

from choreography.accounts.tokens import issue_token
from choreography.generation.downloads import video_filename
from choreography.models import Song
from storage import content_disposition
from tests.clients import TokenClient, generate

AWKWARD = 'Obsesión "En Vivo"; 100% \\ 星'


def filename_of(header: str) -> str:
    """The name a browser saves under (RFC 6266): ``filename*`` when present, else ``filename``."""
    if exact := re.search(r"filename\*=UTF-8''([^;\s]+)", header):
        return unquote(exact.group(1))
    return re.search(r'filename="([^"]*)"', header).group(1)


def test_the_name_is_the_song_and_the_parameters():
    params = {"difficulty": "beginner", "energy_level": "medium", "style": "romantic", "seed": 7}
    assert video_filename("Demo Bachata Lenta", params) == (
        "demo-bachata-lenta-beginner-medium-romantic.mp4"
    )
    assert video_filename("Demo Bachata Lenta", {**params, "style": None}) == (
        "demo-bachata-lenta-beginner-medium.mp4"
    )
    assert video_filename(AWKWARD, params) == (
        "obsesión-en-vivo-100-星-beginner-medium-romantic.mp4"
    )
    assert video_filename("", params) == "choreography-beginner-medium-romantic.mp4"


@pytest.mark.parametrize(
    ("name", "header"),
    [
        ("demo-bachata-lenta-beginner-medium-romantic.mp4",
         'inline; filename="demo-bachata-lenta-beginner-medium-romantic.mp4"'),
        ("obsesión.mp4", "inline; filename=\"obsesion.mp4\"; filename*=UTF-8''obsesi%C3%B3n.mp4"),
        ('a "b";\r\nX-Evil: 1.mp4',
         "inline; filename=\"a-b-x-evil-1.mp4\"; filename*=UTF-8''a%20%22b%22%3BX-Evil%3A%201.mp4"),
        ("星.mp4", "inline; filename=\"download.mp4\"; filename*=UTF-8''%E6%98%9F.mp4"),
        ("../secret_key", "inline; filename=\"secret-key\"; filename*=UTF-8''..%2Fsecret_key"),
    ],
)  # fmt: skip
def test_the_header_is_ascii_and_quoted_safely(name, header):
    assert content_disposition(name) == header
    assert header.isascii() and "\r" not in header and "\n" not in header
    assert content_disposition(name, attachment=True) == header.replace("inline", "attachment")


@pytest.mark.django_db
async def test_both_backends_answer_with_the_name_signed_into_the_link(store, http_get, tmp_path):
    """Local (the app's media route) and S3 (ResponseContentDisposition) name the object, inline
    to play and as an attachment to save; a quote or non-ASCII character survives."""
    source = tmp_path / "v.mp4"
    source.write_bytes(b"\x00" * 100)
    await store.upload(source, "videos/v.mp4")
    name = f"{AWKWARD}.mp4"
    played = await http_get(store.url("videos/v.mp4", filename=name))
    saved = await http_get(store.url("videos/v.mp4", filename=name, download=True))
    plain = await http_get(store.url("videos/v.mp4"))
    for response in (played, saved, plain):
        assert response.status_code == 200 and response.content == b"\x00" * 100
    assert played.headers["Content-Disposition"] == content_disposition(name)
    assert saved.headers["Content-Disposition"] == content_disposition(name, attachment=True)
    assert filename_of(saved.headers["Content-Disposition"]) == name
    assert "Content-Disposition" not in plain.headers


async def check_generated_download_names(library, *, through_app: bool) -> None:
    """The API's video_url plays inline and download_url saves, both named after the song (a
    title with quotes and accents) and the parameters; the history's and collection's links too."""
    await Song.objects.filter(pk=library[0].pk).aupdate(title=AWKWARD)
    client = TokenClient(await issue_token("alice"))
    response = await generate(
        client, library, difficulty="beginner", energy_level="medium", style="romantic"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    expected = "obsesión-en-vivo-100-星-beginner-medium-romantic.mp4"
    async with httpx.AsyncClient() as http:

        async def get(url: str, **headers: str):
            if through_app:
                return await client.get(url.removeprefix("http://testserver"), headers=headers)
            return await http.get(url, headers=headers)

        played = await get(body["video_url"], Range="bytes=0-99")
        saved = await get(body["download_url"], Range="bytes=0-99")
        history = (await client.get("/api/choreography/videos/")).json()["items"][0]
        again = await get(history["download_url"], Range="bytes=0-9")
        item = await client.post(
            "/api/collections/", {"task_id": body["task_id"]}, content_type="application/json"
        )
        kept = await get(item.json()["video_url"], Range="bytes=0-9")
    assert (played.status_code, saved.status_code, again.status_code) == (206, 206, 206)
    assert played.headers["Content-Disposition"] == content_disposition(expected)
    assert saved.headers["Content-Disposition"].startswith(
        'attachment; filename="obsesion-en-vivo-100-beginner-medium-romantic.mp4"; filename*='
    )
    assert filename_of(saved.headers["Content-Disposition"]) == expected
    assert filename_of(again.headers["Content-Disposition"]) == expected
    assert kept.headers["Content-Disposition"] == content_disposition(expected)
    if through_app:  # the name is signed into a local link: changing it voids the link
        url = urlsplit(body["download_url"])
        forged = {**dict(parse_qsl(url.query)), "filename": "invoice.exe"}
        assert (await client.get(f"{url.path}?{urlencode(forged)}")).status_code == 403


@pytest.mark.django_db(transaction=True)
async def test_a_generated_video_downloads_under_its_song_and_parameters(library):
    await check_generated_download_names(library, through_app=True)


@pytest.mark.django_db(transaction=True)
async def test_on_s3_the_presigned_links_name_the_download(s3_backend, library):
    """SeaweedFS answers with the Content-Disposition signed into the presigned URL."""
    await check_generated_download_names(library, through_app=False)

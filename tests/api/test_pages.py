"""The web page's server side: one-time sign-in links, the page shell, static files."""

import pytest
from django.contrib.auth import get_user_model
from django.test import AsyncClient

from choreography.accounts.signin import sign_in_path

pytestmark = pytest.mark.django_db(transaction=True)
BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


async def test_sign_in_link_works_once(library):
    """The link signs the user in and lands on the page; the same link is refused afterwards."""
    user = await get_user_model().objects.acreate(username="dancer")
    path = sign_in_path(user)
    client = AsyncClient()
    response = await client.get(path)
    assert response.status_code == 302
    assert response["Location"] == "/"
    page = await client.get("/")
    assert page.status_code == 200
    assert b'name="song"' in page.content
    assert b"Test Song" in page.content
    assert b"signed in as dancer" in page.content
    # Served disabled: a click before app.js runs would submit the form as a page load (seen in
    # a browser test) and lose the choices; app.js enables it once it handles the submit.
    assert b'id="generate" disabled' in page.content
    again = await AsyncClient().get(path, headers=BROWSER)
    assert again.status_code == 403
    assert b"links work once" in again.content


async def test_the_front_door_explains_choreo_to_a_visitor():
    """Signed out, ``/`` is the front door: what choreo does and the ways in, no command to run
    (and without a demo choreography, no player)."""
    response = await AsyncClient().get("/")
    assert response.status_code == 200
    assert b"choreography" in response.content and b"8-count" in response.content
    assert b'href="/accounts/signup/"' in response.content
    assert b'href="/accounts/login/"' in response.content
    assert b"manage.py" not in response.content and b"signin_link" not in response.content
    assert b'id="player"' not in response.content


async def test_garbage_sign_in_links_are_refused():
    for path in ("/signin/xx/yy/", "/signin/MQ/1-abc/"):
        response = await AsyncClient().get(path)
        assert response.status_code == 403


async def test_static_files_are_served_and_traversal_is_not():
    js = await AsyncClient().get("/static/choreography/app.js")
    assert js.status_code == 200
    assert js["Content-Type"].startswith("text/javascript")
    assert (await AsyncClient().get("/static/../settings.py")).status_code == 404
    assert (await AsyncClient().get("/static/choreography/nope.js")).status_code == 404

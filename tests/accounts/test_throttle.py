"""The guessing and sign-up throttle in-process, on local memory and on Redis: counted before
evaluated (a burst gets at most the limit through), per (account, address) and per address,
unlocked by a password reset, sign-ups per address, and the client address by the
trusted-proxy rule. The same against real servers: tests/accounts/test_throttle_live.py."""

from __future__ import annotations

import asyncio
import re
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.cache import cache

from choreography.accounts import throttle
from choreography.api.request_context import resolve_client
from choreography.config import load_config
from tests.clients import ERROR_KEYS, PASSWORD, Client, register, signed_up
from tests.helpers import TEST_REDIS_URL, redis_unreachable


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    """A cheap hasher: every attempt hashes a password."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(params=["locmem", "redis"])
async def any_cache(request, settings, transactional_db):
    """The throttle's cache: this process's memory, then Redis (keys under a fresh prefix);
    and the database."""
    if request.param == "redis":
        if why := redis_unreachable():
            pytest.skip(why)
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": TEST_REDIS_URL,
                "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
            }
        }
    else:
        await cache.aclear()
    yield request.param


async def login(client: Client, username="alice", password=PASSWORD, **headers: str):
    return await client.send(
        "POST",
        "/api/auth/login/",
        {"username": username, "password": password},
        headers={name.replace("_", "-"): value for name, value in headers.items()},
    )


def configure(settings, **update) -> None:
    settings.CHOREO = settings.CHOREO.model_copy(update=update)


# --- counted before evaluated -----------------------------------------------------------------


async def test_a_burst_of_wrong_passwords_evaluates_at_most_the_limit(any_cache):
    """100 simultaneous wrong passwords for one account from one address: at most
    CHOREO_THROTTLE_FAILURES (10) are checked (401), every other one is 429."""
    await signed_up("alice")
    attacker = Client(ip="203.0.113.7")
    answers = await asyncio.gather(*(login(attacker, password=f"guess-{i}") for i in range(100)))
    statuses = [answer.status_code for answer in answers]
    assert set(statuses) <= {401, 429}
    assert 1 <= statuses.count(401) <= 10, statuses.count(401)


async def test_a_burst_of_sign_ups_creates_at_most_the_limit(any_cache, settings):
    """20 simultaneous sign-ups from one address create at most CHOREO_SIGNUPS_PER_HOUR."""
    configure(settings, signups_per_hour=5)
    client = Client(ip="203.0.113.8")
    answers = await asyncio.gather(
        *(register(client, username=f"u{i}", email=f"u{i}@example.com") for i in range(20))
    )
    statuses = [answer.status_code for answer in answers]
    assert statuses.count(201) == 5 and statuses.count(429) == 15
    assert await get_user_model().objects.acount() == 5


# --- per (account, address) and per address ----------------------------------------------------


async def test_one_dancers_typos_do_not_lock_the_studio(any_cache):
    """10 wrong passwords for one account from a shared address lock that account there only:
    a classmate behind the same address still logs in."""
    await signed_up("alice")
    await signed_up("bob")
    studio = Client(ip="198.51.100.20")
    for _ in range(10):
        assert (await login(studio, password="typo")).status_code == 401
    refused = await login(studio)
    assert refused.status_code == 429
    assert set(refused.json()) == ERROR_KEYS
    assert 1 <= int(refused["Retry-After"]) <= 900
    assert (await login(studio, username="bob")).status_code == 200


async def test_nobody_can_lock_someone_elses_account(any_cache):
    """10 wrong passwords for alice from an attacker's address: alice, elsewhere, logs in."""
    await signed_up("alice")
    attacker = Client(ip="203.0.113.7")
    for _ in range(10):
        assert (await login(attacker, password="guess")).status_code == 401
    assert (await login(attacker)).status_code == 429
    assert (await login(Client(ip="192.0.2.55"), username="alice")).status_code == 200


async def test_a_spray_over_many_usernames_from_one_address_is_stopped(any_cache, settings):
    """Past CHOREO_THROTTLE_ADDRESS_FAILURES failures over any usernames, the address is
    refused (a right password too); another address is not."""
    configure(settings, throttle_address_failures=20)
    await signed_up("alice")
    sprayer = Client(ip="203.0.113.9")
    for i in range(20):
        answer = await login(sprayer, username=f"user{i}", password="Summer2024!")
        assert answer.status_code == 401
    assert (await login(sprayer, username="user99", password="x")).status_code == 429
    assert (await login(sprayer)).status_code == 429
    assert (await login(Client(ip="192.0.2.56"))).status_code == 200


async def test_a_success_forgets_the_accounts_failures_but_not_the_addresss(any_cache, settings):
    """A right password clears its account's failures from that address; the address keeps
    the failures it made on other accounts (one known password does not reset a spray)."""
    configure(settings, throttle_address_failures=15)
    await signed_up("alice")
    client = Client(ip="198.51.100.30")
    for _ in range(9):
        assert (await login(client, password="typo")).status_code == 401
    assert (await login(client)).status_code == 200
    for _ in range(6):
        assert (await login(client, password="typo")).status_code == 401
    assert (await login(client)).status_code == 429  # 15 failures from the address


async def test_an_ipv6_client_counts_by_its_64_network(any_cache, settings):
    """Rotating through addresses of one /64 is one address for the throttle."""
    configure(settings, throttle_address_failures=5)
    for i in range(5):
        client = Client(ip=f"2001:db8:1:2::{i + 1:x}")
        assert (await login(client, username=f"u{i}", password="x")).status_code == 401
    assert (await login(Client(ip="2001:db8:1:2::ff"), username="v")).status_code == 429
    assert (await login(Client(ip="2001:db8:1:3::1"), username="v")).status_code == 401
    assert throttle.address_key("::ffff:192.0.2.1") == "192.0.2.1"


async def test_sign_up_failures_do_not_use_up_sign_ups(any_cache, settings):
    """A refused sign-up gives back its place in the sign-ups count: after 5 bad forms, 3
    accounts are still allowed from an address with CHOREO_SIGNUPS_PER_HOUR=3."""
    configure(settings, signups_per_hour=3)
    client = Client(ip="198.51.100.40")
    for _ in range(5):
        assert (await register(client, email="not-an-email")).status_code == 400
    for i in range(3):
        answer = await register(client, username=f"d{i}", email=f"d{i}@example.com")
        assert answer.status_code == 201, answer.content
    refused = await register(client, username="d3", email="d3@example.com")
    assert refused.status_code == 429 and set(refused.json()) == ERROR_KEYS
    assert (await register(Client(ip="198.51.100.41"), "d3", "d3@example.com")).status_code == 201


async def test_register_failures_from_an_address_are_limited(any_cache, settings):
    """Repeated refused sign-ups for one username from one address stop at the failure limit."""
    client = Client(ip="203.0.113.10")
    for _ in range(10):
        assert (await register(client, email="not-an-email")).status_code == 400
    assert (await register(client)).status_code == 429
    assert (await register(Client(ip="203.0.113.11"))).status_code == 201


# --- the owner's way back in: a password reset ----------------------------------------------


async def test_a_completed_password_reset_unlocks_the_account(any_cache, settings):
    """Locked out of log-in from their own address, the owner can still ask for a reset there;
    once the new password is set, it logs in from that same address."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    await signed_up("alice")
    # Sign-up stores the address only once its confirmation link is followed: stand for that.
    await get_user_model().objects.filter(username="alice").aupdate(email="alice@example.com")
    home = Client(ip="198.51.100.50", enforce_csrf_checks=False)
    for _ in range(10):
        assert (await login(home, password="forgot")).status_code == 401
    assert (await login(home)).status_code == 429
    sent = await home.post("/accounts/password_reset/", {"email": "alice@example.com"})
    assert sent.status_code == 302
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[-1].body).group(1)
    form = await home.get(link, follow=True)
    assert form.status_code == 200
    new = "new-bachata-pass-5512"
    done = await home.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done.status_code == 302 and done["Location"] == "/accounts/reset/done/"
    assert (await login(home, password=new)).status_code == 200


async def test_a_reset_request_is_not_blocked_by_a_log_in_lock(any_cache):
    """Another scope: a locked log-in leaves the reset form open, and reset requests have
    their own limit."""
    await signed_up("alice")
    home = Client(ip="198.51.100.51")
    for _ in range(11):
        await login(home, password="forgot")
    for _ in range(10):
        sent = await home.post("/accounts/password_reset/", {"email": "alice@example.com"})
        assert sent.status_code == 302
    again = await home.post("/accounts/password_reset/", {"email": "alice@example.com"})
    assert again.status_code == 429


# --- the client's address -------------------------------------------------------------------


async def test_a_spoofed_forwarded_for_does_not_change_the_address(any_cache, settings):
    """No trusted proxy (the default): X-Forwarded-For is ignored, so rotating it does not
    rotate the address the throttle counts."""
    configure(settings, throttle_address_failures=5)
    client = Client(ip="127.0.0.1")
    for i in range(5):
        answer = await login(client, f"u{i}", "x", X_Forwarded_For=f"10.9.{i}.1")
        assert answer.status_code == 401
    answer = await login(client, username="v", password="x", X_Forwarded_For="10.8.0.1")
    assert answer.status_code == 429


async def test_a_configured_proxys_forwarded_for_is_the_address(any_cache, settings):
    """From a peer in CHOREO_TRUSTED_PROXIES, X-Forwarded-For names the client: two clients
    behind the proxy are two addresses; the same header from another peer is ignored."""
    configure(settings, trusted_proxies="10.0.0.0/8", throttle_address_failures=3)
    proxy = Client(ip="10.0.0.5")
    for i in range(3):
        answer = await login(proxy, f"u{i}", "x", X_Forwarded_For="192.0.2.10")
        assert answer.status_code == 401
    refused = await login(proxy, username="v", password="x", X_Forwarded_For="192.0.2.10")
    assert refused.status_code == 429
    other = await login(proxy, username="v", password="x", X_Forwarded_For="192.0.2.11")
    assert other.status_code == 401
    direct = Client(ip="192.0.2.99")  # not a proxy: its header is not believed
    for i in range(3):
        answer = await login(direct, username=f"w{i}", password="x", X_Forwarded_For="192.0.2.10")
        assert answer.status_code == 401


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "client"),
    [
        ("127.0.0.1", "6.6.6.6", "", "127.0.0.1"),
        ("127.0.0.1", "6.6.6.6", "10.0.0.1", "127.0.0.1"),
        ("10.0.0.1", "6.6.6.6", "10.0.0.1", "6.6.6.6"),
        ("10.0.0.1", "1.1.1.1, 6.6.6.6", "10.0.0.1", "6.6.6.6"),  # the left one is the client's
        ("10.0.0.1", "1.1.1.1, 6.6.6.6, 10.0.0.2", "10.0.0.0/24", "6.6.6.6"),
        ("10.0.0.1", "10.0.0.3, 10.0.0.2", "10.0.0.0/24", "10.0.0.3"),
        ("10.0.0.1", "[2001:db8::1]:4711", "10.0.0.1", "2001:db8::1"),
        ("10.0.0.1", "192.0.2.1:4711", "10.0.0.1", "192.0.2.1"),
        ("10.0.0.1", "", "10.0.0.1", "10.0.0.1"),
        ("::1", "6.6.6.6", "::1", "6.6.6.6"),
    ],
)
def test_the_client_address_rule(peer, forwarded, trusted, client):
    """The rule uvicorn applies (forwarded_allow_ips), and applying it twice changes nothing."""
    proxies = load_config({"CHOREO_TRUSTED_PROXIES": trusted}).trusted_proxy_networks
    assert resolve_client(peer, forwarded, proxies) == client
    assert resolve_client(client, forwarded, proxies) == client

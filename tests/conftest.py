"""Shared fixtures: small real media synthesized once per session by FFmpeg."""

from __future__ import annotations

import compileall
import functools
import inspect
import os
import uuid
from pathlib import Path

import pytest

from assembly import VideoFormat
from tests.helpers import make_canonical_clip, make_song
from tests.s3server import ACCESS_KEY, SECRET_KEY, SeaweedServer, s3_store

pytest_plugins = ["tests.browser"]  # the `browser` fixture of the Chromium tests

FMT = VideoFormat(width=320, height=180, fps=30)
"""Matches tests.settings (CHOREO_VIDEO_SIZE=320x180, 30 fps)."""

CLIP_FRAMES = (61, 47, 75, 53, 90, 66)
ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
PACKAGES = ("asgi_project", "assembly", "choreography", "storage")


LONGEST_FIRST = (
    "api/test_schemathesis.py",
    "server/test_server.py",  # serve builds the demo library
    "studios/test_uploads.py",  # phone clips through upload, cut and generate
    "library/test_phone_ingest.py",
    "studios/test_browser_uploads.py",
    "describe/test_browser_describe.py",
    "accounts/test_throttle_live.py",
    "api/test_body_limits.py",
    "generation/test_browser_player.py",
    "frontdoor/test_browser_front_door.py",
    "generation/test_browser_player_practice.py",
    "library/test_variants.py",
    "library/test_import_commands.py",
    "api/test_security.py",
    "library/test_renormalize.py",
    "generation/test_browser_honest_page.py",
    "generation/test_api_s3.py",
    "server/test_startup.py",
    "server/test_fresh_data_dir.py",
    "api/test_limits.py",
    "library/test_library_admin.py",
    "generation/test_browser.py",
    "collections/test_browser_my_choreographies.py",
)
"""Files (under tests/) that take longest, started first so parallel workers finish together
(pyproject's ``--no-loadscope-reorder`` keeps xdist from putting the files with most tests first
instead)."""


def pytest_configure(config) -> None:
    """Compile the project's own modules once, before workers and servers start.

    Where PYTHONDONTWRITEBYTECODE is set (CI sets it), every process the suite starts (xdist
    workers, live servers, management commands, each a Django start-up) would compile them
    again; .ci/run has uv compile the installed packages at install (UV_COMPILE_BYTECODE).
    """
    if hasattr(config, "workerinput"):
        return
    for name in (*PACKAGES, "tests"):
        compileall.compile_dir(ROOT / name, quiet=2, workers=0)


KINDS = ("browser", "live", "api", "unit")
"""Every test gets exactly one of these markers (registered in pyproject), by ``kind_of``."""

BROWSER = ({"browser"}, {"new_page", "sync_playwright"})
"""(fixtures, helpers) that drive Chromium (tests/browser.py)."""

LIVE = (
    {"live_site", "live_template", "long_template", "shared_data_dir", "s3_server"},
    {
        *("start_server", "spawn_serve", "LiveServer", "server_env", "run_in_server_env"),
        *("SeaweedServer", "executable"),  # sys.executable: Python in another process
    },
)
"""(fixtures, helpers) that run the app or S3 in another process (tests/live.py,
tests/s3server.py): a real uvicorn, a ``manage.py`` command, SeaweedFS."""

API = (
    {
        *("db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback"),
        *("library", "media_dir", "canonical_clips", "song_file", "long_song_file"),
        "half_hour_song",
    },
    {"subprocess", "create_subprocess_exec", "Popen"},
)
"""(fixtures, names) of in-process tests against real parts: the database, the session's media,
or a process they start, FFmpeg mostly (tests/helpers.py, ``assembly.runner``)."""


def code_names(code) -> set[str]:
    """The global and attribute names a code object (and the code nested in it) refers to."""
    names = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            names |= code_names(const)
    return names


FOLLOWED = ("tests", "assembly", "storage", "choreography")
"""Packages whose functions ``names_reached`` follows: a test calling ``prepare_song`` runs
FFmpeg as surely as one calling ``subprocess.run``."""


@functools.cache
def names_reached(func) -> frozenset[str]:
    """The names ``func`` refers to, and those of every function or class it reaches through
    global names in the FOLLOWED packages (its helpers, fixtures' helpers, the app's code)."""
    seen, names, todo = set(), set(), [func]
    while todo:
        each = inspect.unwrap(todo.pop())
        if each in seen or not hasattr(each, "__code__"):
            continue
        seen.add(each)
        found = code_names(each.__code__)
        names |= found
        for name in found:
            target = each.__globals__.get(name)
            module = getattr(target, "__module__", None) or ""
            if module.partition(".")[0] not in FOLLOWED:
                continue
            if inspect.isfunction(target):
                todo.append(target)
            elif inspect.isclass(target):
                todo += [v for v in vars(target).values() if inspect.isfunction(v)]
    return frozenset(names)


def kind_of(item) -> str:
    """The one kind of a test, by a rule nobody has to remember to apply:

    - a kind marked by hand (on the test, its class or module, or a ``pytest.param``) wins;
      that is for what the rule cannot see, like ``store``'s S3 parameter;
    - ``browser``: it, a fixture it uses, or a helper they call drives Chromium;
    - ``live``: ... runs the app or S3 in another process (LIVE);
    - ``api``: ... uses the database (``django_db``, ``db`` fixtures, ``library``), the
      session's media, or starts a process, FFmpeg mostly (API);
    - ``unit``: everything else: pure, in-process, no database, no server, no process.
    """
    marked = {mark.name for mark in item.iter_markers() if mark.name in KINDS}
    if len(marked) > 1:
        raise pytest.UsageError(f"{item.nodeid} is marked {sorted(marked)}: one kind only")
    if marked:
        return marked.pop()
    info = getattr(item, "_fixtureinfo", None)
    funcs = [getattr(item, "function", None)]
    if info is not None:
        funcs += [defs[-1].func for defs in info.name2fixturedefs.values() if defs]
    fixtures = set(getattr(item, "fixturenames", ()))
    helpers = set().union(*(names_reached(func) for func in funcs if func is not None))
    for kind, (kind_fixtures, kind_helpers) in (("browser", BROWSER), ("live", LIVE)):
        if fixtures & kind_fixtures or helpers & kind_helpers:
            return kind
    if item.get_closest_marker("django_db") or fixtures & API[0] or helpers & API[1]:
        return "api"
    return "unit"


@pytest.hookimpl(tryfirst=True)  # before ``-m`` deselects by the markers added here
def pytest_collection_modifyitems(items) -> None:
    for item in items:
        item.add_marker(kind_of(item))
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.relative_to(TESTS).as_posix(), len(rank)))


def pytest_xdist_auto_num_workers(config) -> int:
    """``-n auto``: a worker per core plus one, at most four (each runs its own servers and
    FFmpeg). Many tests wait on real time (playback, a restarted S3 server, leases): on two
    cores a third worker uses that idle time (3 min 41 s against 4 min 22 s for two, and
    4 min 18 s for four).

    ``-m unit`` alone runs in this process: every worker imports and collects the whole suite
    (some 6 CPU-seconds each) for tests that take about 13 CPU-seconds in all."""
    if config.option.markexpr.strip() == "unit":
        return 0
    return max(1, min(4, (os.cpu_count() or 1) + 1))


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test databases, and at the end the ORM connections async code opened in
    asgiref's worker thread closed: PostgreSQL refuses to drop a database still connected to.

    Not autouse: a run of unit tests alone (``-m unit``) creates no database.
    """
    yield
    from asgiref.sync import SyncToAsync
    from django.db import connections

    with django_db_blocker.unblock():
        SyncToAsync.single_thread_executor.submit(connections.close_all).result()
        connections.close_all()


@pytest.fixture(scope="session", autouse=True)
def _flush_restores_static_rows():
    """After a transactional test's flush, content types and permissions come back from a copy.

    Django re-creates them through post_migrate after every flush: 14 of the 24 CPU-ms a
    transactional test costs beyond a plain one. The first flush of each database runs the real
    signal and keeps the rows it made; later ones insert those rows (the same ids and values).
    """
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType
    from django.core.management.color import no_style
    from django.core.management.commands import flush
    from django.db import connections

    real, saved = flush.emit_post_migrate_signal, {}

    def restore(verbosity, interactive, db, **kwargs) -> None:
        connection = connections[db]
        models = (ContentType, Permission)  # in foreign key order
        if db not in saved:
            real(verbosity, interactive, db, **kwargs)
            saved[db] = []
        with connection.cursor() as cursor:
            for model in models:
                table = connection.ops.quote_name(model._meta.db_table)
                columns = [connection.ops.quote_name(f.column) for f in model._meta.concrete_fields]
                if len(saved[db]) < len(models):
                    cursor.execute(f"SELECT {', '.join(columns)} FROM {table}")
                    saved[db].append(cursor.fetchall())
                    continue
                marks = ", ".join(["%s"] * len(columns))
                insert = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
                cursor.executemany(insert, saved[db][models.index(model)])
            for sql in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(sql)
        ContentType.objects.clear_cache()

    flush.emit_post_migrate_signal = restore
    yield
    flush.emit_post_migrate_signal = real


@pytest.fixture(scope="session", autouse=True)
def _drop_live_databases():
    """Drop the databases live servers used on PostgreSQL runs (see helpers)."""
    yield
    from tests.helpers import drop_live_databases

    drop_live_databases()


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def canonical_clips(media_dir) -> list[Path]:
    """Six canonical clips of odd frame counts, each visibly different."""
    return [
        make_canonical_clip(media_dir / f"clip{i}.mp4", frames, FMT, hue=i * 60)
        for i, frames in enumerate(CLIP_FRAMES)
    ]


@pytest.fixture(scope="session")
def song_file(media_dir) -> Path:
    """A 6.5-second AAC song."""
    return make_song(media_dir / "song.m4a", 6.5)


@pytest.fixture
async def library(transactional_db, canonical_clips, song_file, runtimes):
    """The small library: imported through the real import path once per code version, then
    restored (the same rows, the same stored objects) into each test's database and storage:
    importing normalizes every clip with FFmpeg, which need not be redone per test. Into the
    runtime the test runs in when it is requested (``s3_backend`` first: into the bucket)."""
    from choreography.models import Move, Song

    runtime = runtimes.current
    from tests.live import KeptImport

    kept = KeptImport("imported-library")
    if rows := await kept.restore(runtime.storage):
        song = await Song.objects.acreate(**rows["song"])
        return song, [await Move.objects.acreate(**fields) for fields in rows["moves"]]
    song, moves = await import_library(canonical_clips, song_file, runtime)
    rows = {"song": row_fields(song), "moves": [row_fields(move) for move in moves]}
    await kept.keep(runtime.storage, [song.audio_key, song.original_key, *move_keys(moves)], rows)
    return song, moves


def move_keys(moves) -> list[str]:
    """Every stored object of ``moves``: clip, stream, poster, original."""
    return [key for m in moves for key in (m.clip_key, m.stream_key, m.poster_key, m.original_key)]


def row_fields(row) -> dict:
    """A model row's stored values, without its id and creation time."""
    return {
        field.attname: getattr(row, field.attname)
        for field in row._meta.concrete_fields
        if field.name not in ("id", "created_at")
    }


async def import_library(canonical_clips, song_file, runtime):
    """The six session clips and the song, through the real import path."""
    from choreography.library.imports import ClipMetadata, import_clip, import_song

    styles = ("romantic", "energetic", "sensual", "playful", "romantic", "playful")
    difficulties = ("beginner", "intermediate", "advanced", "intermediate", "beginner", "advanced")
    energies = ("low", "medium", "high", "medium", "medium", "high")
    moves = []
    for i, clip in enumerate(canonical_clips):
        move, _ = await import_clip(
            clip,
            ClipMetadata(
                name=f"move-{i}",
                label=f"Move {i}",
                difficulty=difficulties[i],
                energy_level=energies[i],
                style=styles[i],
            ),
            runtime=runtime,
        )
        moves.append(move)
    song, _ = await import_song(
        song_file, title="Test Song", artist="Tester", bpm=120.0, runtime=runtime
    )
    return song, moves


@pytest.fixture(scope="session")
def long_song_file(media_dir) -> Path:
    """A 40-second AAC song, for long timelines."""
    return make_song(media_dir / "long-song.m4a", 40.0)


AWS_ENV = {
    "AWS_ACCESS_KEY_ID": ACCESS_KEY,
    "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
    "AWS_SESSION_TOKEN": None,
    "AWS_PROFILE": None,
    "AWS_EC2_METADATA_DISABLED": "true",
}


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """A real SeaweedFS S3 server on 127.0.0.1 for the whole session.

    The test process gets its credentials through the standard AWS variables, as in production.
    """
    root = tmp_path_factory.mktemp("seaweedfs")
    env = {**AWS_ENV, "AWS_CONFIG_FILE": str(root / "no-config")}
    env["AWS_SHARED_CREDENTIALS_FILE"] = env["AWS_CONFIG_FILE"]
    saved = {name: os.environ.get(name) for name in env}
    for name, value in env.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    server = SeaweedServer(root / "server")
    server.start()
    try:
        yield server
    finally:
        server.stop(kill=True)  # its data is thrown away: no graceful shutdown needed
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def s3_config_update(server: SeaweedServer, prefix: str = "") -> dict:
    """ChoreoConfig fields that point the app at ``server``."""
    return {
        "storage_backend": "s3",
        "s3_bucket": server.bucket,
        "s3_endpoint_url": server.endpoint_url,
        "s3_key_prefix": prefix,
    }


@pytest.fixture
async def s3_backend(reconfigure, s3_server):
    """The app configured with STORAGE_BACKEND=s3 on the session's server, under a fresh prefix.

    Request it before ``library`` so the library is imported into the bucket.
    """
    prefix = f"app-{uuid.uuid4().hex[:10]}/"
    runtime = await reconfigure(**s3_config_update(s3_server, prefix))
    return runtime.storage


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.live)])
async def store(request, tmp_path, runtime):
    """Each storage adapter in turn: local disk, then S3 on the session's server (the contract
    tests and the download tests run on both)."""
    if request.param == "local":
        from storage import LocalStorage

        # As the app builds it: local URLs are signed app links (see choreography.runtime).
        yield LocalStorage(
            tmp_path / "root",
            url_signer=lambda key, name: runtime.sign_media(key, filename=name).path,
        )
        return
    adapter = s3_store(request.getfixturevalue("s3_server"))
    yield adapter
    await adapter.aclose()


@pytest.fixture
def http_get(store, settings, runtimes):
    """GET a URL from ``store.url()`` the way a browser would: local URLs through the app (in
    the runtime a server on those settings would have, as its lifespan state)."""
    import httpx

    from storage import LocalStorage

    if isinstance(store, LocalStorage):
        from asgi_project.asgi import application
        from tests.runtimes import WithRuntime

        settings.MEDIA_ROOT = store.root  # the app's media route now serves this store
        transport = httpx.ASGITransport(app=WithRuntime(application, runtimes.current))
        base = "http://testserver"
    else:
        transport, base = None, ""

    async def get(url: str, headers: dict | None = None) -> httpx.Response:
        async with httpx.AsyncClient(transport=transport) as client:
            return await client.get(base + url if url.startswith("/") else url, headers=headers)

    return get


@pytest.fixture
async def alice(transactional_db):
    """A token client of the user alice."""
    from choreography.accounts.tokens import issue_token
    from tests.clients import TokenClient

    return TokenClient(await issue_token("alice"))


@pytest.fixture
async def bob(transactional_db):
    """A token client of the user bob."""
    from choreography.accounts.tokens import issue_token
    from tests.clients import TokenClient

    return TokenClient(await issue_token("bob"))


HALF_HOUR_SONG = {"title": "Half Hour", "bpm": 120.0, "first_beat": 0.0, "duration": 1800.0}
"""The long song's known facts: it is recorded as is (importing it would transcode and analyse
half an hour of audio, which the import tests do on short songs)."""


@pytest.fixture(scope="session")
def half_hour_song(media_dir) -> Path:
    """A 30-minute AAC song (looped by stream copy, so it costs a fraction of a second).

    Long enough that a generation on it keeps FFmpeg busy for seconds: the real long timeline
    the disconnect, shutdown and back-pressure tests need to act mid-generation. The loop is
    brought to the library's loudness first, so importing it only measures it (no 30-minute
    encode).
    """
    import asyncio

    from assembly import AudioFormat, FFmpegCommandBuilder, prepare_song
    from tests.helpers import run

    short = make_song(media_dir / "loop-10s.m4a", 10.0, ("-c:a", "aac", "-b:a", "32k"))
    loop = asyncio.run(prepare_song(short, media_dir, AudioFormat(), FFmpegCommandBuilder()))
    target = media_dir / "long-30min.m4a"
    run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-stream_loop", "179", "-i", str(loop.path),
         "-c", "copy", str(target)]
    )  # fmt: skip
    return target


@pytest.fixture(scope="session")
def live_template(canonical_clips, song_file) -> Path:
    """A seeded data dir for live servers: six clips, two short songs (ids 1-2), five users."""
    from tests.live import CLIP_META, USERS, cached_template, seed

    def build(root: Path) -> None:
        (root / "data").mkdir()
        second = make_song(root / "song-4s.m4a", 4.0)
        seed(
            root / "data",
            clips=[
                {"path": str(p), "meta": m} for p, m in zip(canonical_clips, CLIP_META, strict=True)
            ],
            songs=[
                {"path": str(song_file), "title": "Short Song", "bpm": 120.0},
                {"path": str(second), "title": "Shorter Song", "bpm": 100.0},
            ],
            users=USERS,
        )

    return cached_template("live-template", build) / "data"


@pytest.fixture(scope="session")
def long_template(live_template, half_hour_song) -> Path:
    """live_template plus the 30-minute song (id 3)."""
    from tests.live import cached_template, copy_data_dir, seed

    def build(root: Path) -> None:
        copy_data_dir(live_template, root / "data")
        seed(root / "data", stored_songs=[HALF_HOUR_SONG | {"path": str(half_hour_song)}])

    return cached_template("long-template", build) / "data"


@pytest.fixture(autouse=True)
def runtimes(settings, monkeypatch):
    """Each test runs in a Runtime of its own, built from the settings it starts with, and
    built again whenever the test changes one it is made from (Django's ``setting_changed``).

    In a server the ASGI lifespan builds it and every request carries it in
    ``scope["state"]``; Django's test clients run no lifespan, so here they put the test's
    current runtime in each request they make (tests.runtimes)."""
    from tests.runtimes import TestRuntimes

    with TestRuntimes.serving(monkeypatch) as built:
        yield built


@pytest.fixture
def runtime(runtimes):
    """The runtime the test starts in (``reconfigure`` returns the ones it builds later)."""
    return runtimes.current


@pytest.fixture
async def reconfigure(settings, runtimes):
    """``await reconfigure(**config_fields)``: change the settings and run the rest of the test
    in the fresh Runtime built from them (returned); every runtime the test's setting changes
    built is closed at the end, in the test's event loop."""

    async def apply(**update):
        settings.CHOREO = settings.CHOREO.model_copy(update=update)  # builds a new runtime
        return runtimes.current

    yield apply
    for each in runtimes.built[1:]:
        await each.aclose()


@pytest.fixture
def shared_data_dir(
    long_template, live_template, tmp_path, canonical_clips, song_file, half_hour_song
):
    """A data dir two servers share: its SQLite file, or (on PostgreSQL runs) a fresh database
    seeded with the same library. Returns (data_dir, extra env)."""
    from tests.helpers import isolated_database_env
    from tests.live import CLIP_META, USERS, copy_data_dir, seed

    env = isolated_database_env()
    if not env:
        return copy_data_dir(long_template, tmp_path / "data"), {}
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    seed(
        data_dir,
        clips=[
            {"path": str(p), "meta": m} for p, m in zip(canonical_clips, CLIP_META, strict=True)
        ],
        songs=[
            {"path": str(song_file), "title": "Short Song", "bpm": 120.0},
            {"path": str(live_template.parent / "song-4s.m4a"), "title": "Shorter", "bpm": 100.0},
        ],
        stored_songs=[HALF_HOUR_SONG | {"path": str(half_hour_song)}],
        users=USERS,
        env=env,
    )
    return data_dir, env


@pytest.fixture(scope="session")
def slow_ffmpeg(tmp_path_factory) -> str:
    """The real FFmpeg reading its first input at real-time speed (``-readrate 1``), so a
    generation of the half-hour song stays running for as long as a test needs."""
    script = tmp_path_factory.mktemp("slow") / "ffmpeg"
    script.write_text('#!/bin/sh\nexec ffmpeg -readrate 1 "$@"\n')
    script.chmod(0o755)
    return str(script)

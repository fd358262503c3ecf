"""Smoke test of the built image, run by .ci/container: the operator's path, on this machine.

1. docker-compose.yml is validated and resolved (``docker compose config``, or Debian's
   ``docker-compose``) in a project directory holding what an operator writes: ``.env.example``
   copied to ``.env`` with a fresh SECRET_KEY. The backend service's environment is taken from it.
2. Its services' addresses are replaced by this machine's: the PostgreSQL server (a database of
   its own, dropped after), Redis, and a SeaweedFS S3 server (``weed mini``, as the tests start it)
   with compose's bucket. Everything else is compose's, production mode included.
3. The image runs on the host network on a free port (CHOREO_PORT): /health/ answers, Docker's
   own health check turns healthy, every process runs as uid 10001, a user registers and signs
   in for a token, a video is generated (``serve`` built the demo library at start) and decodes.
4. ``docker stop`` (SIGTERM) stops it within 10 s, by itself (exit code 0, not Docker's SIGKILL).

Every wait has a timeout; the container, the database and the S3 server are removed on every way
out. Prints the figures: image size, start to healthy, generate, stop.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
import yaml

from tests.s3server import ACCESS_KEY, SECRET_KEY, SeaweedServer, free_ports

ROOT = Path(__file__).resolve().parent.parent
UID = "10001"
HEALTHY_TIMEOUT_S = 600  # the first start builds the demo library: about a minute on 2 cores
STOP_LIMIT_S = 10


class SmokeError(Exception):
    pass


def say(message: str) -> None:
    print(f"== container: {message}", flush=True)


def run(*argv: str | Path, timeout: float = 60, env: dict | None = None) -> str:
    done = subprocess.run(
        [str(arg) for arg in argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    if done.returncode != 0:
        raise SmokeError(f"{' '.join(map(str, argv[:4]))} failed:\n{done.stderr or done.stdout}")
    return done.stdout


def compose_command() -> list[str]:
    plugin = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30)
    return ["docker", "compose"] if plugin.returncode == 0 else ["docker-compose"]


def compose_backend_environment(project: Path) -> dict[str, str]:
    """The backend's environment as compose resolves it for an operator's ``.env``."""
    example = (ROOT / ".env.example").read_text()
    key = secrets.token_urlsafe(48)
    (project / ".env").write_text(re.sub(r"(?m)^SECRET_KEY=.*$", f"SECRET_KEY={key}", example))
    # Only the machine's basics: a variable of this shell must not stand in for the .env's.
    env = {name: os.environ[name] for name in ("PATH", "HOME", "DOCKER_HOST") if name in os.environ}
    compose = compose_command()
    resolved = run(
        *compose,
        "-f",
        ROOT / "docker-compose.yml",
        "--project-directory",
        project,
        "config",
        env=env,
    )
    services = yaml.safe_load(resolved)["services"]
    say(f"compose file valid ({' '.join(compose)} config): services {', '.join(sorted(services))}")
    return {name: str(value) for name, value in services["backend"]["environment"].items()}


def on_this_machine(env: dict[str, str], *, port: int, database: str, s3: SeaweedServer) -> dict:
    """Compose's backend environment with its services' addresses replaced by this machine's."""
    replaced = {
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "REDIS_URL": re.sub(r"^redis://redis:", "redis://127.0.0.1:", env["REDIS_URL"]),
        "S3_ENDPOINT_URL": s3.endpoint_url,
        "S3_PUBLIC_ENDPOINT_URL": s3.endpoint_url,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "CHOREO_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    missing = sorted(set(replaced) - set(env))
    if missing:
        raise SmokeError(f"compose's backend no longer sets {missing}: update this smoke test")
    say(
        f"runs compose's backend environment ({len(env)} variables, production mode: "
        f"CHOREO_ENV={env.get('CHOREO_ENV')}, STORAGE_BACKEND={env.get('STORAGE_BACKEND')}), "
        f"with this machine's addresses for {', '.join(replaced)}, and CHOREO_PORT={port}"
    )
    return {**env, **replaced, "CHOREO_PORT": str(port)}


def container_state(name: str) -> dict:
    return json.loads(run("docker", "inspect", "--format", "{{json .State}}", name))


def processes(name: str) -> list[tuple[str, str, str]]:
    """(uid, pid, command) of every process in the container."""
    lines = run("docker", "top", name, "-eo", "uid,pid,comm").splitlines()[1:]
    return [tuple(line.split(None, 2)) for line in lines]  # type: ignore[misc]


def logs(name: str, tail: str = "40") -> str:
    done = subprocess.run(["docker", "logs", "--tail", tail, name], capture_output=True, timeout=30)
    return (done.stdout + done.stderr).decode(errors="replace")


def wait_healthy(client: httpx.Client, name: str) -> tuple[float, float]:
    """Seconds until /health/ answers 200, then until Docker's health check says healthy."""
    started = time.monotonic()
    answered = None
    while time.monotonic() - started < HEALTHY_TIMEOUT_S:
        state = container_state(name)
        if not state["Running"]:
            raise SmokeError(f"the container exited ({state['ExitCode']}):\n{logs(name)}")
        if answered is None:
            try:
                if client.get("/health/", timeout=5).status_code == 200:
                    answered = time.monotonic() - started
            except httpx.HTTPError:
                pass
        elif state.get("Health", {}).get("Status") == "healthy":
            return answered, time.monotonic() - started
        time.sleep(0.5)
    raise SmokeError(f"not healthy after {HEALTHY_TIMEOUT_S} s:\n{logs(name)}")


def sign_in(client: httpx.Client) -> str:
    """Register a user through the API, then log in: the login's bearer token."""
    username = f"smoke{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(16)
    body = {"username": username, "email": f"{username}@example.com", "password": password}
    registered = client.post("/api/auth/register/", json=body)
    if registered.status_code != 201:
        raise SmokeError(f"register: {registered.status_code} {registered.text}")
    login = client.post("/api/auth/login/", json={"username": username, "password": password})
    if login.status_code != 200:
        raise SmokeError(f"login: {login.status_code} {login.text}")
    token = login.json()["token"]
    me = client.get("/api/auth/me/", headers={"Authorization": f"Bearer {token}"})
    if me.status_code != 200 or me.json().get("username") != username:
        raise SmokeError(f"me: {me.status_code} {me.text}")
    return token


def generate(client: httpx.Client, token: str, out: Path, seed: int) -> tuple[float, dict]:
    """POST generate for the first demo song, then fetch the video: (seconds, answer)."""
    auth = {"Authorization": f"Bearer {token}"}
    songs = client.get("/api/songs/", headers=auth)
    if songs.status_code != 200 or not songs.json()["items"]:
        raise SmokeError(f"no demo library: /api/songs/ {songs.status_code} {songs.text[:300]}")
    song = songs.json()["items"][0]
    body = {"song_id": song["id"], "difficulty": "beginner", "energy_level": "medium", "seed": seed}
    started = time.monotonic()
    answer = client.post("/api/choreography/generate/", json=body, headers=auth, timeout=300)
    seconds = time.monotonic() - started
    if answer.status_code != 200 or answer.json().get("status") != "completed":
        raise SmokeError(f"generate: {answer.status_code} {answer.text[:500]}")
    result = answer.json()
    with client.stream("GET", result["video_url"], timeout=60) as video:
        if video.status_code != 200:
            raise SmokeError(f"video {result['video_url']}: {video.status_code}")
        with out.open("wb") as file:
            for chunk in video.iter_bytes():
                file.write(chunk)
    return seconds, {**result, "song_title": song["title"]}


def check_decodes(path: Path, expected_s: float) -> str:
    probe = json.loads(
        run("ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", path)
    )
    codecs = sorted(stream["codec_name"] for stream in probe["streams"])
    duration = float(probe["format"]["duration"])
    if codecs != ["aac", "h264"] or abs(duration - expected_s) > 1.0:
        raise SmokeError(f"unexpected video: {codecs}, {duration:.2f} s (expected {expected_s})")
    done = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-f", "null", "-"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0 or done.stderr.strip():
        raise SmokeError(f"the video does not decode cleanly:\n{done.stderr[-2000:]}")
    video = next(s for s in probe["streams"] if s["codec_type"] == "video")
    return f"{video['width']}x{video['height']} h264 + aac, {duration:.1f} s"


def stop(name: str) -> tuple[float, int, list]:
    """``docker stop`` with room past the limit, so a clean exit and a SIGKILL differ.

    Meanwhile the container's processes are listed again and again until it is gone: an FFmpeg
    seen once no server (python) process is left is one that outlived its server. Returns the
    seconds, the exit code and those orphans.
    """
    stopping = subprocess.Popen(
        ["docker", "stop", "--time", str(3 * STOP_LIMIT_S), name],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    started = time.monotonic()
    orphans = []
    while stopping.poll() is None and time.monotonic() - started < 6 * STOP_LIMIT_S:
        try:
            snapshot = processes(name)
        except (SmokeError, subprocess.TimeoutExpired):
            snapshot = []  # gone (or going)
        if not any(p[2].startswith("python") for p in snapshot):
            orphans += [p for p in snapshot if p[2] == "ffmpeg"]
        time.sleep(0.05)
    stopping.kill()
    stopping.wait()
    return time.monotonic() - started, container_state(name)["ExitCode"], orphans


def smoke(image: str, work: Path, cleanup: ExitStack) -> None:
    size = int(run("docker", "image", "inspect", "--format", "{{.Size}}", image))
    say(f"image {image}: {size / 1e6:.0f} MB")
    project = work / "project"
    project.mkdir()
    env = compose_backend_environment(project)

    s3 = SeaweedServer(work / "s3", bucket=env["S3_BUCKET"])
    s3.start()
    cleanup.callback(s3.stop)
    database = f"choreo_smoke_{os.getpid()}_{int(time.time())}"
    run("createdb", "-h", "127.0.0.1", "-U", "postgres", database)
    cleanup.callback(
        subprocess.run,
        ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", database],
        capture_output=True,
        timeout=60,
    )
    (port,) = free_ports(1)
    env = on_this_machine(env, port=port, database=database, s3=s3)
    env_file = work / "backend.env"
    env_file.write_text("".join(f"{name}={value}\n" for name, value in env.items()))

    name = f"choreo-smoke-{os.getpid()}"
    cleanup.callback(
        subprocess.run, ["docker", "rm", "-f", "-v", name], capture_output=True, timeout=120
    )
    run("docker", "run", "-d", "--name", name, "--network", "host", "--env-file", env_file, image)
    client = cleanup.enter_context(
        httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30, trust_env=False)
    )
    answered_s, healthy_s = wait_healthy(client, name)
    built = re.search(r"demo library ready: [^(]*\(([\d.]+) s\)", logs(name, tail="all"))
    say(
        f"start to /health/ 200: {answered_s:.1f} s (demo library built in "
        f"{built.group(1) if built else '?'} s); Docker's health check healthy at {healthy_s:.1f} s"
    )

    running = processes(name)
    others = [p for p in running if p[0] != UID]
    if others:
        raise SmokeError(f"processes not running as uid {UID}: {others}")
    say(f"all {len(running)} processes run as uid {UID}: {', '.join(p[2] for p in running)}")

    token = sign_in(client)
    say("registered a user and signed it in: bearer token accepted by /api/auth/me/")
    seconds, result = generate(client, token, work / "video.mp4", seed=7)
    decoded = check_decodes(work / "video.mp4", result["duration_seconds"])
    say(
        f"generated {result['song_title']!r} in {seconds:.2f} s (the first request renders the "
        f"tempo variants it needs unless warming did); fetched from S3, decodes: {decoded}"
    )
    again, _ = generate(client, token, work / "again.mp4", seed=8)
    say(f"generated again (another seed) in {again:.2f} s")

    ffmpeg_before = sum(1 for p in processes(name) if p[2] == "ffmpeg")
    stop_s, code, orphans = stop(name)
    if orphans:
        raise SmokeError(f"FFmpeg outlived the server at shutdown: {orphans}\n{logs(name)}")
    if code != 0 or stop_s > STOP_LIMIT_S:
        raise SmokeError(
            f"docker stop took {stop_s:.1f} s, exit code {code} (limit {STOP_LIMIT_S} s, "
            f"0 = stopped by itself):\n{logs(name)}"
        )
    say(
        f"SIGTERM: stopped by itself in {stop_s:.1f} s, exit code 0 "
        f"({ffmpeg_before} FFmpeg running just before; none outlived the server processes)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", default="choreo:ci")
    args = parser.parse_args()
    # `timeout` in .ci/container ends a stuck run with SIGTERM: clean up on the way out then too.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(f"stopped by signal {signum}"))
    with ExitStack() as cleanup:
        work = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="choreo-smoke-")))
        try:
            smoke(args.image, work, cleanup)
        except (SmokeError, subprocess.TimeoutExpired, httpx.HTTPError) as exc:
            say(f"SMOKE TEST FAILED: {exc}")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Operations: admin pages, retention, and requirements hygiene."""

import re
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from choreography.models import ChoreographyTask, TaskStatus

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def staff_client(transactional_db):
    user = get_user_model().objects.create_user("admin", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db(transaction=True)
async def test_admin_pages_render_for_staff(staff_client, library):
    """Changelists and change pages of songs, moves and tasks render (with previews)."""
    song, moves = library
    user = await get_user_model().objects.aget(username="admin")
    task = await ChoreographyTask.objects.acreate(
        user=user, song=song, status=TaskStatus.FAILED, stage="fetching", error="boom"
    )
    pages = [
        "/admin/choreography/song/",
        f"/admin/choreography/song/{song.pk}/change/",
        "/admin/choreography/move/",
        f"/admin/choreography/move/{moves[0].pk}/change/",
        "/admin/choreography/choreographytask/?status__exact=failed",
        f"/admin/choreography/choreographytask/{task.pk}/change/",
    ]
    for page in pages:
        response = await sync_to_async(staff_client.get)(page)
        assert response.status_code == 200, page
    move_page = await sync_to_async(staff_client.get)(pages[3])
    assert b"<video" in move_page.content


@pytest.mark.django_db(transaction=True)
async def test_prune_deletes_old_videos_and_rows_only(library):
    """Old tasks lose their row and their video; recent ones stay."""
    song, _ = library
    user = await get_user_model().objects.acreate(username="u")
    media = settings.MEDIA_ROOT / "videos"
    media.mkdir(parents=True, exist_ok=True)
    tasks = []
    for name, age in (("old", 40), ("new", 1)):
        (media / f"{name}.mp4").write_bytes(b"video")
        task = await ChoreographyTask.objects.acreate(
            user=user,
            song=song,
            status=TaskStatus.COMPLETED,
            result={"video_key": f"videos/{name}.mp4"},
        )
        await ChoreographyTask.objects.filter(pk=task.pk).aupdate(
            created_at=timezone.now() - timedelta(days=age)
        )
        tasks.append(task)
    await sync_to_async(call_command)("prune_videos", "--older-than", "30")
    assert not (media / "old.mp4").exists()
    assert (media / "new.mp4").exists()
    assert [t.pk async for t in ChoreographyTask.objects.all()] == [tasks[1].pk]


FORBIDDEN = re.compile(r"celery|cloud run|cloud_run|\bECS\b|job_execution_name|jobs_service", re.I)


def test_no_job_container_leftovers():
    """No job/ dir, jobs_service.py, requirements.txt, or Celery/Cloud Run/ECS references."""
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert files, "git ls-files found nothing"
    offenders = [
        f for f in files
        if f.startswith("job/") or f.endswith("jobs_service.py") or re.search(r"requirements.*\.txt$", f)
    ]  # fmt: skip
    assert offenders == []
    this_file = Path(__file__).relative_to(ROOT).as_posix()
    mentions = []
    for name in files:
        path = ROOT / name
        if name == this_file or not path.is_file() or path.suffix in {".lock", ".mp4", ".m4a"}:
            continue
        text = path.read_text(errors="ignore")
        mentions += [f"{name}: {m.group(0)}" for m in FORBIDDEN.finditer(text)]
    assert mentions == []


def test_compose_file_describes_one_backend_with_healthy_dependencies():
    """docker-compose.yml parses; backend waits for healthy postgres, seaweedfs and redis; no
    job service."""
    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"backend", "postgres", "seaweedfs", "redis"}
    for name, service in services.items():
        assert "healthcheck" in service, name
    depends = services["backend"]["depends_on"]
    assert depends == {
        "postgres": {"condition": "service_healthy"},
        "seaweedfs": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    env = services["backend"]["environment"]
    assert env["REDIS_URL"].startswith("redis://redis:")
    assert env["DATABASE_URL"].startswith("postgres://")
    assert env["STORAGE_BACKEND"] == "s3"
    assert (ROOT / ".env.example").read_text().count("SECRET_KEY=") == 1


def test_dockerfile_runs_serve_as_non_root_with_a_healthcheck():
    """The image is multi-stage, frozen, non-root, health-checked and runs `serve`; one setting
    (CHOREO_PORT) is the port `serve` listens on and the one the health check polls. (CI builds
    and runs the image: .ci/container.)"""
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.count("FROM python:3.11-slim-bookworm") >= 2
    assert "uv sync --frozen --no-dev" in dockerfile
    assert "USER choreo" in dockerfile and "--uid 10001" in dockerfile
    instructions = dockerfile.replace("\\\n", " ").splitlines()  # continuation lines joined
    healthcheck = next(line for line in instructions if line.startswith("HEALTHCHECK "))
    cmd = next(line for line in instructions if line.startswith("CMD "))
    assert "/health/" in healthcheck and "CHOREO_PORT" in healthcheck
    assert "manage.py serve" in cmd and '--port \\"$CHOREO_PORT\\"' in cmd
    # The dependency layer depends on the lock only, the code is copied last.
    assert dockerfile.index("COPY pyproject.toml uv.lock") < dockerfile.index("COPY . .")
    assert dockerfile.rstrip().splitlines()[-1] == "COPY --from=code /app /app"


def test_dockerignore_keeps_history_state_caches_and_tests_out():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", "var", ".env", "**/__pycache__", ".pytest_cache"} <= ignored
    assert {".ruff_cache", "tests", "**/*.mp4"} <= ignored

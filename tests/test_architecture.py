"""The layers import only downward, and only through each library's public surface.

asgi_project -> choreography -> assembly -> storage. ``assembly`` and ``storage`` never import
Django; ``choreography.music`` (the rules) imports neither Django nor the rest of the app; the
app never imports ``asgi_project``; outside a library, only its ``__init__`` is imported.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imports_of(package: str) -> dict[str, set[str]]:
    """Every module a package's files import: {file: {module, ...}}."""
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text())
        modules = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules.add(node.module)
        found[str(path.relative_to(ROOT))] = modules
    return found


def offenders(package: str, forbidden) -> list[str]:
    return [
        f"{path}: {module}"
        for path, modules in imports_of(package).items()
        for module in sorted(modules)
        if forbidden(module)
    ]


def under(module: str, *prefixes: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def test_the_libraries_never_import_django_or_the_app():
    """assembly and storage are plain asyncio: no Django, no app, no project."""
    for package in ("assembly", "storage"):
        assert (
            offenders(package, lambda m: under(m, "django", "choreography", "asgi_project")) == []
        )
    assert offenders("storage", lambda m: under(m, "assembly")) == []


def test_the_music_rules_are_pure():
    """choreography.music imports no Django and nothing else of the app."""
    assert (
        offenders(
            "choreography/music",
            lambda m: (
                under(m, "django", "asgi_project")
                or (under(m, "choreography") and not under(m, "choreography.music"))
            ),
        )
        == []
    )


def test_the_app_never_imports_the_project():
    """asgi_project may import the app, never the reverse (no package cycle)."""
    assert offenders("choreography", lambda m: under(m, "asgi_project")) == []


def test_layers_use_only_the_public_surface_of_the_libraries():
    """Above a library, ``from assembly import ...`` / ``from storage import ...`` only."""
    deep = lambda m: m.startswith(("assembly.", "storage."))  # noqa: E731
    for package in ("choreography", "asgi_project", "bench"):
        assert offenders(package, deep) == []


def test_test_modules_never_import_one_another():
    """What several test modules share lives in tests/clients.py, tests/helpers.py, tests/live.py
    (or another helper module) or in a conftest fixture; a test module imports no test module."""
    is_test_module = lambda m: m.rpartition(".")[2].startswith("test_")  # noqa: E731
    assert offenders("tests", lambda m: under(m, "tests") and is_test_module(m)) == []

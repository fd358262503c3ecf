"""The layers import only downward, and only through each library's public surface.

asgi_project -> choreography -> assembly -> storage. ``assembly`` and ``storage`` never import
Django; ``choreography.music`` (the rules) imports neither Django nor the rest of the app; the
app never imports ``asgi_project``; outside a library, only its ``__init__`` is imported; the
shared HTTP edge (``choreography.api``) mounts every feature's router from one list.
"""

from __future__ import annotations

import ast
import importlib
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


FEATURE_EDGES = ("api", "admin_api", "pages", "urls", "streaming")
"""The modules in which a feature keeps its HTTP (``choreography.<feature>.<module>``)."""


def test_the_shared_edge_imports_no_feature_edge():
    """choreography/api/ holds what every edge shares; only app.py (the router list) reaches
    into a feature's routes, so a feature's HTTP never hides in the shared package."""
    feature_edge = lambda m: (  # noqa: E731
        under(m, "choreography")
        and not under(m, "choreography.api")
        and m.rsplit(".", 1)[-1] in FEATURE_EDGES
    )
    found = [o for o in offenders("choreography/api", feature_edge) if "api/app.py:" not in o]
    assert found == []


def test_routers_are_mounted_from_the_one_list():
    """Only choreography/api/app.py adds routers to the API, and every feature's router is in
    its ROUTERS list (nothing registers itself on import)."""
    from ninja import Router

    from choreography.api.app import ROUTERS

    adders = []
    for path in sorted((ROOT / "choreography").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr == "add_router":
                adders.append(str(path.relative_to(ROOT)))
    assert adders == ["choreography/api/app.py"]

    mounted = {id(router) for _, router in ROUTERS}
    modules = sorted((ROOT / "choreography").glob("*/api.py"))
    assert len(modules) >= 6
    for path in modules:
        module = importlib.import_module(f"choreography.{path.parent.name}.api")
        routers = [value for value in vars(module).values() if isinstance(value, Router)]
        assert routers, f"{path.relative_to(ROOT)} has no router"
        assert all(id(router) in mounted for router in routers), path.relative_to(ROOT)

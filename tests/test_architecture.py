"""The layers import only downward, and only through each library's public surface.

asgi_project -> choreography -> assembly -> storage. ``assembly`` and ``storage`` never import
Django; ``choreography.music`` (the rules) imports neither Django nor the rest of the app; the
app never imports ``asgi_project``; outside a library, only its ``__init__`` is imported; the
shared HTTP edge (``choreography.api``) mounts every feature's router from one list.

Inside the app, edges (``choreography.api.*``, ``<feature>.api``/``pages``/``admin``,
management commands) -> use cases (the feature packages, in FEATURE_TIERS order) -> the shared
core (models, errors, config, paging, runtime) -> rules (``choreography.music``, no I/O) ->
engine (assembly) -> storage. Every import counts, inside functions too. Planted upward
imports that these tests catch: ``import choreography.collections.services`` in music/tempo.py,
``from choreography.generation import selectors`` inside a function of library/catalog.py,
``from choreography.api import responses`` in generation/history.py, ``from assembly import
run_process`` in music/section.py.
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


# --- inside the app: edges -> use cases (features) -> rules (music) -> engine -> storage --------

APP = "choreography"

FEATURE_TIERS: tuple[tuple[str, ...], ...] = (
    ("observability",),
    ("accounts",),
    ("library",),
    ("studios",),
    ("generation", "describe"),
    ("collections",),
    ("classplans", "frontdoor"),
)
"""The feature packages, lowest first: a feature imports only features of a lower tier (never
one of its own tier, never one above). Generation tells collections and collections tells class
plans through signals (generation/signals.py, collections/signals.py), never by import. The
metrics (observability) sit below every feature: each reports to them in one-line calls; only
their edge (the /metrics view) reaches up, to accounts, for who is staff."""
FEATURES = {name: rank for rank, tier in enumerate(FEATURE_TIERS) for name in tier}

RULES = "choreography.music"
"""Pure rules: what the features decide with, imported by them, importing no feature."""

SHARED = frozenset(
    f"{APP}.{name}"
    for name in (
        "apps",
        "config",
        "diskspace",
        "errors",
        "logcontext",
        "medialinks",
        "migrations",
        "models",
        "paging",
        "runtime",
    )
)
"""Below every feature and above the rules: the app's shared models, errors, settings, paging
and process runtime. They import no feature and no edge."""

RUNTIME_MACHINERY = frozenset(
    f"{APP}.generation.{name}" for name in ("admission", "leases", "pruning", "singleflight")
)
"""What the runtime is built of (the generation gate, leases, pruner, single flight): the one
feature import of the shared core, until the runtime is passed rather than fetched (#25 L2)."""

EDGE_NAMES = frozenset(
    {
        "api",
        "pages",
        "admin",
        "urls",
        "views",
        "forms",
        "routes",
        "streaming",
        "links",
        "downloads",
        "management",
        "server",
    }
)
"""A module is an edge (HTTP, pages, admin, management commands, the server) when a part of its
path is one of these or ends in ``_pages``/``_api``: ``choreography.api.*``, ``choreography.<feature>.api``,
``choreography.<feature>.pages``, ``choreography.admin``, ``choreography.management.*`` ... so
the rules hold before and after the edges move into their features."""

MUSIC_FORBIDDEN = ("django", "storage", "subprocess", "asyncio", "shutil", "socket", "tempfile")
"""What does I/O: the rules import none of it."""
ENGINE_IO = frozenset(
    {
        "assembly.runner",
        "assembly.media",
        "assembly.probe",
        "assembly.service",
        "assembly.tasks",
        "assembly.workdir",
    }
)
"""The engine's modules that run FFmpeg or touch files: the rules use only its data types,
errors and pure argv builders."""


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def app_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted((ROOT / APP).rglob("*.py"))}


def imported_modules(name: str, path: Path, known: set[str]) -> set[str]:
    """Every module ``path`` imports, at any depth of the file (inside functions, ``if
    TYPE_CHECKING`` blocks, ...): ``from a import b`` counts ``a.b`` when that is a module."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in known}
    return found


def app_graph() -> dict[str, set[str]]:
    """{app module: the app modules it imports}."""
    modules = app_modules()
    known = set(modules)
    return {
        name: {m for m in imported_modules(name, path, known) if m in known and m != name}
        for name, path in modules.items()
    }


def is_edge(module: str) -> bool:
    return any(
        part in EDGE_NAMES or part.endswith(("_pages", "_api")) for part in module.split(".")[1:]
    )


def feature_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in FEATURES else None


def is_shared(module: str) -> bool:
    return module == APP or under(module, *SHARED)


def test_every_module_of_the_app_has_a_place():
    """Each module is an edge, a feature's, the rules' or the shared core's: a new package
    must be placed in FEATURE_TIERS (or SHARED) before the rules can guard it."""
    unplaced = [
        m
        for m in app_graph()
        if not (is_edge(m) or feature_of(m) or under(m, RULES) or is_shared(m))
    ]
    assert unplaced == []


def test_nothing_below_the_edges_imports_an_edge():
    """Features, rules and the shared core never import an API route, a page, the admin or a
    command: the edges call them, not the reverse."""
    upward = [
        f"{module} -> {target}"
        for module, targets in app_graph().items()
        if not is_edge(module)
        for target in sorted(targets)
        if is_edge(target)
    ]
    assert upward == []


def test_features_import_only_features_below_them():
    """No feature imports one of its own tier or above (FEATURE_TIERS), inside functions too."""
    upward = []
    for module, targets in app_graph().items():
        feature = feature_of(module)
        if feature is None or is_edge(module):
            continue
        for target in sorted(targets):
            other = feature_of(target)
            if other is not None and other != feature and FEATURES[other] >= FEATURES[feature]:
                upward.append(f"{module} -> {target}")
    assert upward == []


def test_no_import_cycle_between_feature_packages():
    """The packages' own graph (edges aside) has no cycle, however long."""
    graph: dict[str, set[str]] = {feature: set() for feature in FEATURES}
    for module, targets in app_graph().items():
        if feature_of(module) and not is_edge(module):
            graph[feature_of(module)] |= {  # type: ignore[index]
                feature_of(t) for t in targets if feature_of(t) not in (None, feature_of(module))
            }
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        for nxt in sorted(graph[node]):
            if nxt in path:
                cycles.append(" -> ".join([*path[path.index(nxt) :], nxt]))
            else:
                visit(nxt, [*path, nxt])

    for feature in graph:
        visit(feature, [feature])
    assert cycles == []


def test_the_shared_core_and_the_rules_import_no_feature():
    """models, errors, config, paging, runtime ... and music sit below every feature (the
    runtime's own machinery aside, RUNTIME_MACHINERY)."""
    upward = [
        f"{module} -> {target}"
        for module, targets in app_graph().items()
        if is_shared(module) or under(module, RULES)
        for target in sorted(targets)
        if feature_of(target) and not (module == f"{APP}.runtime" and target in RUNTIME_MACHINERY)
    ]
    assert upward == []


def test_the_music_rules_do_no_io():
    """choreography.music imports nothing that does I/O: no Django, no storage, no subprocess
    or event loop, and from the engine only its data, errors and argv builders."""
    import assembly

    offending = []
    for path, modules in imports_of("choreography/music").items():
        for module in sorted(modules):
            if under(module, *MUSIC_FORBIDDEN) or module in ENGINE_IO:
                offending.append(f"{path}: {module}")
        tree = ast.parse((ROOT / path).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "assembly":
                for alias in node.names:
                    home = getattr(getattr(assembly, alias.name), "__module__", "")
                    if home in ENGINE_IO:
                        offending.append(f"{path}: assembly.{alias.name} ({home})")
    assert offending == []


def test_test_modules_never_import_one_another():
    """What several test modules share lives in tests/clients.py, tests/helpers.py, tests/live.py
    (or another helper module) or in a conftest fixture; a test module imports no test module."""
    is_test_module = lambda m: m.rpartition(".")[2].startswith("test_")  # noqa: E731
    assert offenders("tests", lambda m: under(m, "tests") and is_test_module(m)) == []


# The runtime is passed, never fetched ---------------------------------------------------------

RUNTIME_MODULE = f"{APP}.runtime"


def runtime_fetches(source: str) -> list[str]:
    """Where ``source`` fetches a runtime instead of being handed one: a call of the runtime
    module's ``current()``/``activate()`` (however imported), an import of them, a module-level
    name holding a Runtime (``_active: Runtime | None = None``) or a ``global`` rebinding one."""
    tree = ast.parse(source)
    module_names = {"runtime"}  # `from choreography import runtime` / `... as x`
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == APP:
            module_names |= {a.asname or a.name for a in node.names if a.name == "runtime"}
        elif isinstance(node, ast.Import):
            module_names |= {a.asname for a in node.names if a.name == RUNTIME_MODULE and a.asname}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == RUNTIME_MODULE:
            found += [
                f"line {node.lineno}: imports {a.name}"
                for a in node.names
                if a.name in ("current", "activate")
            ]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target = ast.unparse(node.func.value)
            if node.func.attr in ("current", "activate") and (
                target in module_names or target == RUNTIME_MODULE
            ):
                found.append(f"line {node.lineno}: calls {target}.{node.func.attr}()")
        elif isinstance(node, ast.Global) and any(
            "runtime" in name.lower() or "active" in name.lower() for name in node.names
        ):
            found.append(f"line {node.lineno}: global {', '.join(node.names)}")
    for node in tree.body:  # module level only
        if isinstance(node, ast.AnnAssign) and "Runtime" in ast.unparse(node.annotation):
            found.append(f"line {node.lineno}: module-level {ast.unparse(node.target)}")
    return found


def test_no_module_fetches_the_runtime():
    """``runtime.current()`` is gone: every module of the project, its tests and benchmarks
    takes the runtime it is handed (from the request's scope, a command's ``run_sync``, a
    fixture), and no module keeps an active one."""
    found = [
        f"{path.relative_to(ROOT)} {where}"
        for package in ("asgi_project", "assembly", "choreography", "storage", "tests", "bench")
        for path in sorted((ROOT / package).rglob("*.py"))
        for where in runtime_fetches(path.read_text())
    ]
    assert found == []
    runtime = importlib.import_module(RUNTIME_MODULE)
    assert not {"current", "activate", "_active"} & set(vars(runtime))


def test_the_runtime_check_catches_a_planted_fetch():
    """The check above fails on each way of fetching the runtime (planted here, as source)."""
    planted = {
        "from choreography import runtime\nruntime.current().storage": "calls runtime.current()",
        "from choreography import runtime as rt\nrt.current()": "calls rt.current()",
        "from choreography.runtime import current\ncurrent()": "imports current",
        "import choreography.runtime\nchoreography.runtime.activate(None)": "calls",
        "_active: Runtime | None = None": "module-level _active",
        "def f():\n    global _active\n    _active = 1": "global _active",
    }
    for source, expected in planted.items():
        assert any(expected in where for where in runtime_fetches(source)), source
    assert runtime_fetches("async def f(*, runtime):\n    return runtime.storage") == []

"""The package's layers: imports only go downward, nothing circles, manim stays in scenes/.

The layers, lowest first (shared/DESIGN.md): errors → core → files → request → proof →
present → lessons → outputs → course (the manifest and index) → scenes (the video side, and
the course's task graph) → cli, with the package's public face
(``explainer/__init__.py``) and ``python -m explainer`` on top. A module may import its own
layer or any layer below it. Read from the source with ``ast``, so a new upward import or a
circle fails here before it can hide inside a function.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# (layer, module prefixes), lowest first.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("errors", ("explainer.errors",)),
    ("core", ("explainer.core",)),
    ("files", ("explainer.files",)),
    ("request", ("explainer.request", "explainer.layer_request", "explainer.backward_request")),
    ("proof", ("explainer.proof",)),
    ("present", ("explainer.present",)),
    ("lessons", ("explainer.lessons",)),
    ("outputs", ("explainer.outputs",)),
    ("course", ("explainer.course",)),
    ("scenes", ("scenes",)),
    ("cli", ("explainer.cli",)),
    ("api", ("explainer", "explainer.__main__")),
]
# Third-party packages that are slow to import or optional: the only reason to import one
# of our own modules inside a function is that it (transitively) loads one of these.
HEAVY = {
    "sympy",
    "manim",
    "av",
    "piper",
    "scipy",
    "onnxruntime",
    "srt",
    "IPython",
    "dask",
    "distributed",
    "rich",
}


def layer_of(module: str) -> int:
    best, rank = -1, -1
    for i, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + "."):
                if len(prefix) > best:
                    best, rank = len(prefix), i
    assert rank >= 0, f"{module} belongs to no layer"
    return rank


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def our_modules() -> dict[str, Path]:
    files = [*ROOT.glob("explainer/**/*.py"), *ROOT.glob("scenes/**/*.py")]
    return {module_name(p): p for p in files}


MODULES = our_modules()


def resolve(current: str, is_package: bool, node: ast.ImportFrom | ast.Import) -> list[str]:
    """The modules an import statement names (ours and others), absolute."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = current.split(".") if is_package else current.split(".")[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join([*package, base] if base else package)
    out = []
    for alias in node.names:
        candidate = f"{base}.{alias.name}"
        out.append(candidate if candidate in MODULES else base)
    return out


class Imports:
    """Every import in our modules: (importer, imported, line, at module level?)."""

    def __init__(self) -> None:
        self.edges: list[tuple[str, str, int, bool]] = []
        for name, path in MODULES.items():
            tree = ast.parse(path.read_text(), str(path))
            top = set(map(id, _module_level_imports(tree)))
            typing_only = set(map(id, _type_checking_imports(tree)))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in typing_only:
                    for target in resolve(name, path.name == "__init__.py", node):
                        self.edges.append((name, target, node.lineno, id(node) in top))


def _module_level_imports(tree: ast.Module) -> list[ast.stmt]:
    """Imports run when the module is imported: top level, and inside top-level if/try
    blocks, but not under ``if TYPE_CHECKING:``."""
    found: list[ast.stmt] = []

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                found.append(node)
            elif isinstance(node, ast.If):
                if not (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
                    visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)

    visit(tree.body)
    return found


def _type_checking_imports(tree: ast.Module) -> list[ast.stmt]:
    """Imports under ``if TYPE_CHECKING:``, which never run."""
    found: list[ast.stmt] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            found += [n for n in ast.walk(node) if isinstance(n, ast.Import | ast.ImportFrom)]
    return found


IMPORTS = Imports()


def ours(module: str) -> bool:
    return module in MODULES


def test_every_module_has_a_layer():
    for name in MODULES:
        layer_of(name)


def test_imports_only_go_down():
    upward = [
        f"{src}:{line} imports {dst} ({LAYERS[layer_of(src)][0]} → {LAYERS[layer_of(dst)][0]})"
        for src, dst, line, _ in IMPORTS.edges
        if ours(dst) and layer_of(dst) > layer_of(src)
    ]
    assert not upward, "imports that go up a layer:\n" + "\n".join(upward)


def test_no_circles_at_import_time():
    graph: dict[str, set[str]] = defaultdict(set)
    for src, dst, _, top in IMPORTS.edges:
        if top and ours(dst) and dst != src:
            graph[src].add(dst)
    # The package's __init__ runs first for every submodule: it is the public face, not
    # a dependency of the layers, so its edges do not count as circles.
    graph.pop("explainer", None)
    for deps in graph.values():
        deps.discard("explainer")
    cycles = _cycles(graph)
    assert not cycles, "import circles:\n" + "\n".join(" → ".join(c) for c in cycles)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def strongconnect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in list(graph):
        if v not in index:
            strongconnect(v)
    return out


def test_manim_only_in_scenes():
    offenders = [
        f"{src}:{line}"
        for src, dst, line, _ in IMPORTS.edges
        if dst.split(".")[0] == "manim" and not src.startswith("scenes")
    ]
    assert not offenders, "manim imported outside scenes/: " + ", ".join(offenders)


def test_library_never_imports_the_scenes_except_the_cli_when_rendering():
    offenders = [
        f"{src}:{line}"
        for src, dst, line, top in IMPORTS.edges
        if dst.split(".")[0] == "scenes"
        and not src.startswith("scenes")
        and (src != "explainer.cli" or top)
    ]
    assert not offenders, "the library imports the video side: " + ", ".join(offenders)


def _heavy_modules() -> set[str]:
    """Our modules that load a heavy package when imported (directly or through ours)."""
    direct: dict[str, set[str]] = defaultdict(set)
    for src, dst, _, top in IMPORTS.edges:
        if top:
            direct[src].add(dst)
    heavy: set[str] = set()
    changed = True
    while changed:
        changed = False
        for src, deps in direct.items():
            if src in heavy:
                continue
            if any(d.split(".")[0] in HEAVY or d in heavy for d in deps):
                heavy.add(src)
                changed = True
    return heavy


def test_function_level_imports_of_our_modules_only_load_heavy_ones_lazily():
    heavy = _heavy_modules()
    needless = [
        f"{src}:{line} imports {dst} inside a function, but it loads nothing heavy"
        for src, dst, line, top in IMPORTS.edges
        if not top and ours(dst) and dst not in heavy and not dst.startswith("scenes")
    ]
    assert not needless, "\n".join(needless)


def test_lessons_do_not_import_each_other():
    def lesson(module: str) -> str | None:
        parts = module.split(".")
        if parts[:2] == ["explainer", "lessons"] and len(parts) > 3:
            return parts[2]
        return None

    crossing = [
        f"{src}:{line} imports {dst}"
        for src, dst, line, _ in IMPORTS.edges
        if lesson(src) and lesson(dst) and lesson(src) != lesson(dst)
    ]
    assert not crossing, "\n".join(crossing)


# Modules still to be split (each may shrink, never grow): the claim kinds and their
# verifier came in whole, one table of kinds and one of checks each.
TO_SPLIT = {"explainer.lessons.claims": 830, "explainer.lessons.verifier": 880}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_stay_small(name):
    lines = len(MODULES[name].read_text().splitlines())
    limit = TO_SPLIT.get(name, 600)
    assert lines <= limit, f"{name} has {lines} lines; split it by what it is about"


def test_the_verifier_shares_no_code_with_the_writer_or_the_engine():
    """Words are proved as numbers are: by a computation of its own (shared/DESIGN.md)."""
    allowed = {"explainer.errors", "explainer.core.problem", "explainer.lessons.claims"}
    shared = [
        f"{src}:{line} imports {dst}"
        for src, dst, line, _ in IMPORTS.edges
        if src == "explainer.lessons.verifier" and ours(dst) and dst not in allowed
    ]
    assert not shared, "\n".join(shared)


def test_the_layer_verifier_shares_no_code_with_the_writer_or_the_engine():
    """The layer lesson's claims are checked by plain loops of their own: the verifier may
    read the claim kinds and share the one-filter verifier's report types, nothing else."""
    allowed = {
        "explainer.errors",
        "explainer.lessons.claims",
        "explainer.lessons.layer_claims",
        "explainer.lessons.verifier",
    }
    shared = [
        f"{src}:{line} imports {dst}"
        for src, dst, line, _ in IMPORTS.edges
        if src == "explainer.lessons.layer_verifier" and ours(dst) and dst not in allowed
    ]
    assert not shared, "\n".join(shared)

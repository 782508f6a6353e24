"""The one-way house, checked on the source: who may import whom, and no overlong functions or modules.

Data flows scenario -> models -> engine -> results -> views. A model package knows only its own config
section and plain arrays; results know no engine; the ground floor (units, errors) knows nothing above it.
See docs/architecture.md.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "megacluster"

MODEL_PACKAGES = ("fleet", "power", "cooling", "performance", "reliability", "transients", "uncertainty")
VIEWS_AND_ABOVE = (
    "megacluster.engine",
    "megacluster.results",
    "megacluster.report",
    "megacluster.web",
    "megacluster.sweep",
    "megacluster.cli",
    "megacluster.scenario",
    "typer",
    "rich",
)
FORBIDDEN: dict[str, tuple[str, ...]] = {
    **{f"megacluster.{pkg}": VIEWS_AND_ABOVE for pkg in MODEL_PACKAGES},
    "megacluster.results": ("megacluster.engine", "megacluster.report", "megacluster.web", "megacluster.cli"),
    "megacluster.engine": ("megacluster.report", "megacluster.web", "megacluster.cli", "typer", "rich"),
    "megacluster.scenario": (
        "megacluster.engine",
        "megacluster.results",
        "megacluster.report",
        "megacluster.cli",
    ),
    "megacluster.catalog": (
        "megacluster.scenario",
        "megacluster.engine",
        "megacluster.results",
        "megacluster.cli",
    ),
    "megacluster.units": ("megacluster",),
    "megacluster.errors": ("megacluster.",),
}
"""Module prefix -> imports it must never make (at any level, including inside functions)."""

MAX_FUNCTION_LINES = 80
MAX_MODULE_LINES = 400
WHY_FUNCTION = ("# long because", "longer than 80 lines")
WHY_MODULE = ("# long module because", "longer than 400 lines")
"""What a comment (or docstring) must say, lower-cased, for a long function or module to pass."""


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(tree: ast.AST, module: str) -> list[tuple[int, str]]:
    found = []
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                kept = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*kept, base])
            found += [
                (node.lineno, f"{base}.{alias.name}" if base == "megacluster" else base)
                for alias in node.names
            ]
    return found


def _sources() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def _violations() -> list[str]:
    out = []
    for path in _sources():
        module = _module_name(path)
        tree = ast.parse(path.read_text("utf-8"))
        for prefix, banned in FORBIDDEN.items():
            if module != prefix and not module.startswith(prefix + "."):
                continue
            for line, name in _imports(tree, module):
                for bad in banned:
                    hit = name == bad or name.startswith(bad if bad.endswith(".") else bad + ".")
                    if hit and not name.startswith(prefix):
                        out.append(f"{module}:{line} imports {name}")
    return out


def test_no_layer_imports_upwards() -> None:
    assert _violations() == []


def test_the_check_catches_a_backward_import(tmp_path: Path) -> None:
    tree = ast.parse("from megacluster.engine.simulate import simulate\nimport rich\n")
    names = [name for _, name in _imports(tree, "megacluster.power.plant")]
    assert names == ["megacluster.engine.simulate", "rich"]


def _long_functions(path: Path) -> list[str]:
    text = path.read_text("utf-8")
    lines = text.splitlines()
    out = []
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        length = (node.end_lineno or node.lineno) - node.lineno + 1
        if length <= MAX_FUNCTION_LINES:
            continue
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        around = "\n".join(lines[max(0, first - 3) : node.end_lineno or node.lineno])
        if not any(why in around.lower() for why in WHY_FUNCTION):
            out.append(f"{_module_name(path)}.{node.name}: {length} lines")
    return out


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(SRC)))
def test_functions_and_modules_are_short_or_say_why(path: Path) -> None:
    assert _long_functions(path) == []
    lines = path.read_text("utf-8").splitlines()
    if len(lines) > MAX_MODULE_LINES:
        head = "\n".join(lines[:40]).lower()
        assert any(why in head for why in WHY_MODULE), f"{len(lines)} lines and no reason given"

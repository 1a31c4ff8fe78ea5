"""Structure gates (issue 15): the layers hold, and no function is too long or too complex.

Run by the README's test command, so CI keeps them green.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "territorial"
MAX_LINES = 80  # of a function's body: signature and docstring excluded
MAX_COMPLEXITY = 15


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is missing: it is in the test extra (pip install '.[test]')")
    return found


def test_import_layers_are_kept():
    # contracts in pyproject.toml: face > pipeline > engine > outputs > measures > inputs > data > common
    done = subprocess.run([_tool("lint-imports")], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "BROKEN" not in done.stdout and "4 kept, 0 broken" in done.stdout


def test_no_function_is_longer_than_80_lines():
    # the body: from the first statement after the docstring to the end (a CLI command's option
    # declarations, one per line once formatted, are its signature, not its length)
    long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                body = node.body
                if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and len(body) > 1:
                    body = body[1:]
                lines = node.end_lineno - body[0].lineno + 1
                if lines > MAX_LINES:
                    long.append(f"{path.relative_to(REPO)}:{node.lineno} {node.name} ({lines} lines)")
    assert long == []


def test_no_function_is_more_complex_than_15():
    done = subprocess.run(
        [
            _tool("ruff"),
            "check",
            "--isolated",
            "--select",
            "C901",
            "--config",
            f"lint.mccabe.max-complexity={MAX_COMPLEXITY}",
            str(PACKAGE),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-3000:]


def test_no_import_cycle_between_modules():
    import grimp
    import networkx as nx

    graph = grimp.build_graph("territorial")
    edges = [
        (m, d)
        for m in graph.modules
        for d in graph.find_modules_directly_imported_by(m)
        if m.startswith("territorial.") and d.startswith("territorial.")
    ]
    assert list(nx.simple_cycles(nx.DiGraph(edges))) == []


MAX_LOCAL_IMPORTS = 3


def _own_imports_inside_functions(path: Path) -> list[str]:
    """Imports of the package's own modules made inside a function body (they hide cycles)."""
    found = []
    for function in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(function):
            own = (
                isinstance(node, ast.ImportFrom) and (node.level > 0 or (node.module or "").startswith("territorial"))
            ) or (isinstance(node, ast.Import) and any(a.name.split(".")[0] == "territorial" for a in node.names))
            if own:
                found.append(f"{path.relative_to(REPO)}:{node.lineno} in {function.name}")
    return found


def test_own_modules_are_imported_at_the_top():
    found = [hit for path in sorted(PACKAGE.rglob("*.py")) for hit in _own_imports_inside_functions(path)]
    assert len(found) <= MAX_LOCAL_IMPORTS, found


def test_ruff_check_and_format_pass():
    # the rule set and its few stated exceptions are in pyproject.toml ([tool.ruff])
    paths = ["territorial", "tests", "bench", "geodata", "docs"]
    check = subprocess.run([_tool("ruff"), "check", *paths], cwd=REPO, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout[-3000:]
    formatted = subprocess.run([_tool("ruff"), "format", "--check", *paths], cwd=REPO, capture_output=True, text=True)
    assert formatted.returncode == 0, formatted.stdout[-3000:]


def test_mypy_passes():
    # settings in pyproject.toml ([tool.mypy]): the package, function bodies checked even when untyped
    done = subprocess.run([_tool("mypy")], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "Success: no issues found" in done.stdout


PUBLIC_MODULES = ("territorial", "territorial.pipeline", "territorial.labels", "territorial.geography")


def test_the_public_api_is_fully_annotated():
    # every function a user is pointed to (the modules' __all__) says the types of its arguments and result
    import importlib
    import inspect

    bare = []
    for name in PUBLIC_MODULES:
        module = importlib.import_module(name)
        for attribute in module.__all__:
            function = getattr(module, attribute)
            if not inspect.isfunction(function):
                continue
            signature = inspect.signature(function)
            untyped = [
                p.name
                for p in signature.parameters.values()
                if p.annotation is inspect.Parameter.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
            ]
            if untyped or signature.return_annotation is inspect.Signature.empty:
                bare.append(f"{name}.{attribute}: {untyped or 'return'}")
    assert bare == []


TEMPLATE_CALLS = ("Element", "Html", "Template", "from_string", "template", "snippet")


def _constant_text(node: ast.expr) -> bool:
    """A string literal, an UPPER_CASE module constant, or a concatenation of those."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.Name):
        return node.id.isupper()
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _constant_text(node.left) and _constant_text(node.right)
    return False


def test_template_sources_are_constants():
    # branca compiles an Element's string as a Jinja template: an f-string or a variable there would make
    # user text template source (code execution). Text reaches pages as data, through territorial._page.
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "_page.py":  # compiles the sources its callers give, checked at those calls
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = getattr(node, "func", None)
            name = getattr(name, "attr", getattr(name, "id", ""))
            if isinstance(node, ast.Call) and name in TEMPLATE_CALLS and node.args:
                if not _constant_text(node.args[0]):
                    found.append(f"{path.relative_to(REPO)}:{node.lineno} {name}")
    assert found == []


def test_every_subpackage_is_installed():
    # setuptools installs only the packages pyproject.toml lists: a new subpackage left out works in the
    # source tree and fails in the installed wheel (as territorial.programme once did on a fresh clone)
    import tomllib

    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(REPO).parts)
        for init in PACKAGE.rglob("__init__.py")
        if "_static" not in init.parts and "__pycache__" not in init.parts
    }
    assert found <= listed, f"add {sorted(found - listed)} to [tool.setuptools] packages in pyproject.toml"

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
MAX_LINES = 80  # of a function's body, docstring excluded
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
    assert "BROKEN" not in done.stdout and "3 kept, 0 broken" in done.stdout


def test_no_function_is_longer_than_80_lines():
    long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                first = node.body[0]
                if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                        and isinstance(first.value.value, str):
                    lines -= first.end_lineno - first.lineno + 1
                if lines > MAX_LINES:
                    long.append(f"{path.relative_to(REPO)}:{node.lineno} {node.name} ({lines} lines)")
    assert long == []


def test_no_function_is_more_complex_than_15():
    done = subprocess.run([_tool("ruff"), "check", "--isolated", "--select", "C901", "--config",
                           f"lint.mccabe.max-complexity={MAX_COMPLEXITY}", str(PACKAGE)],
                          cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:]


def test_no_import_cycle_between_modules():
    import grimp
    import networkx as nx

    graph = grimp.build_graph("territorial")
    edges = [(m, d) for m in graph.modules for d in graph.find_modules_directly_imported_by(m)
             if m.startswith("territorial.") and d.startswith("territorial.")]
    assert list(nx.simple_cycles(nx.DiGraph(edges))) == []

"""The README documents every command, option and scenario key, and its examples run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import territorial
from territorial import config
from territorial.cli import app

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")
runner = CliRunner()


def commands():
    group = typer.main.get_command(app)
    return group.commands


def test_every_command_and_option_is_in_the_readme():
    for name, command in commands().items():
        assert f"territorial {name}" in README, name
        for param in command.params:
            for flag in param.opts:
                if flag.startswith("--") and flag != "--help":
                    assert flag in README, f"{name} {flag}"


def test_every_scenario_key_is_in_the_readme():
    sections = (config.ScenarioFile, config.InputLayer, config.MapSection, config.OutputsSection)
    keys = {key for model in (*sections, config.SitingSection, config.TimeSection) for key in model.model_fields}
    block = README.split("## Scenario file", 1)[1].split("## Python API", 1)[0]
    for key in sorted(keys):
        assert re.search(rf"(^|[\s\[{{]){key}(\s*=|\]|\.)", block, re.M), key


def example_lines() -> list[str]:
    block = README.split("## Examples", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip()]


def activated() -> dict:
    """The environment ``source .venv/bin/activate`` gives: the venv's ``bin`` first on the PATH (here: the
    interpreter running the tests)."""
    venv_bin = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": venv_bin + os.pathsep + os.environ.get("PATH", ""), "VIRTUAL_ENV": venv_bin}


def as_after_the_quick_start(tmp_path: Path) -> dict:
    """A folder like the repository root (the package, its example files, the npm map files), and
    :func:`activated`. Outputs land in the temporary folder, not in the repository."""
    for name in ("territorial", "node_modules"):
        (tmp_path / name).symlink_to(REPO / name)
    return activated()


def test_the_examples_start_by_activating_the_venv():
    lines = example_lines()
    assert lines[0] == "source .venv/bin/activate" and all(line.startswith("territorial ") for line in lines[1:])


@pytest.mark.slow
@pytest.mark.parametrize("line", example_lines()[1:], ids=lambda line: line.split()[1])
def test_readme_examples_run_as_pasted(line, tmp_path):
    done = subprocess.run(
        ["bash", "-c", line], cwd=tmp_path, env=as_after_the_quick_start(tmp_path), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    if line == "territorial --version":
        assert done.stdout.strip() == f"territorial {territorial.__version__}"


@pytest.mark.slow
def test_the_readme_python_api_runs_as_pasted(tmp_path):
    block = README.split("## Python API", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    done = subprocess.run(
        [sys.executable, "-c", block],
        cwd=tmp_path,
        env=as_after_the_quick_start(tmp_path),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "violation" in done.stdout  # the example projects break rules on purpose
    for written in ("carte.html", "couverture.gpkg", "lorenz.png", "decoupage.csv", "run/rapport.html"):
        assert (tmp_path / "sorties" / "api" / written).is_file(), written
    # and the Examples that write files run after it in the same folder, as a user pasting both blocks would
    for line in example_lines()[1:]:
        if line.split()[1] in ("map", "export", "geocode"):
            again = subprocess.run(["bash", "-c", line], cwd=tmp_path, env=activated(), capture_output=True, text=True)
            assert again.returncode == 0, line + "\n" + again.stderr[-2000:]

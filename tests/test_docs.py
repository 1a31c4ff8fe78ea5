"""The README documents every command, option and scenario key, and its examples run."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

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
    return [line for line in block.splitlines() if line.startswith("territorial ")]


@pytest.mark.parametrize("line", example_lines(), ids=lambda line: line.split()[1])
def test_readme_examples_run(line, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = [str(REPO / a) if a.startswith("territorial/examples/") else a for a in shlex.split(line)[1:]]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output

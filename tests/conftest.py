"""Shared fixtures: the embedded geography, read once per test session."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

import territorial

sys.path.insert(0, str(Path(__file__).resolve().parent))  # test helpers such as ban_stub


@pytest.fixture(scope="session")
def communes():
    return territorial.communes()


@pytest.fixture(scope="session")
def town_halls():
    return territorial.town_halls()


@pytest.fixture(scope="session")
def default_territories():
    return territorial.territories()


@pytest.fixture(scope="session")
def default_run(tmp_path_factory):
    """The main job (``territorial run`` on the embedded scenario), run once for every test that reads it.

    Returns the output folder; its console output is in ``default_run.output`` of the namespace.
    """
    from typer.testing import CliRunner

    from territorial.cli import app

    folder = tmp_path_factory.mktemp("default_run") / "maps"
    result = CliRunner().invoke(app, ["run", "--output-dir", str(folder)])
    assert result.exit_code == 0, result.output
    return SimpleNamespace(folder=folder, output=result.output)


try:  # a fixed, derandomised profile: the property tests give the same cases on every run and in CI
    from hypothesis import HealthCheck, settings

    settings.register_profile(
        "territorial", max_examples=60, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    settings.load_profile("territorial")
except ImportError:  # pragma: no cover - hypothesis is in the test extra
    pass

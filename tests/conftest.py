"""Shared fixtures: the embedded geography, read once per test session."""

from __future__ import annotations

import fcntl
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
def example():
    """The default scenario's example facilities, geocoded, and their analysis: ``(facilities, analysis)``."""
    import geopandas as gpd
    import pandas as pd

    from territorial.scenario import assign_kind, default_scenario

    frames = [
        assign_kind(territorial.geocode_file(layer.path).accepted, kind=layer.kind, path=layer.path)
        for layer in default_scenario().inputs
    ]
    facilities = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=2154)
    return facilities, territorial.analyse(facilities, n_boot=50)


def _run_default(folder: Path) -> str:
    """``territorial run`` on the embedded scenario into ``folder``; its console output."""
    from typer.testing import CliRunner

    from territorial.cli import app

    result = CliRunner().invoke(app, ["run", "--output-dir", str(folder)])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="session")
def default_run(tmp_path_factory, worker_id):
    """The main job (``territorial run`` on the embedded scenario), run once for the whole suite.

    Returns a namespace: ``folder`` (the outputs) and ``output`` (the console output). Under
    pytest-xdist the first worker to ask runs it and the others wait for it (a file lock in the
    session's shared temporary folder) and read the same outputs.
    """
    if worker_id == "master":  # not distributed
        folder = tmp_path_factory.mktemp("default_run") / "maps"
        return SimpleNamespace(folder=folder, output=_run_default(folder))
    shared = tmp_path_factory.getbasetemp().parent / "default_run"
    shared.mkdir(exist_ok=True)
    with open(shared / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        done = shared / "output.txt"
        if not done.is_file():
            done.write_text(_run_default(shared / "maps"), encoding="utf-8")
    return SimpleNamespace(folder=shared / "maps", output=done.read_text(encoding="utf-8"))


try:  # a fixed, derandomised profile: the property tests give the same cases on every run and in CI
    from hypothesis import HealthCheck, settings

    settings.register_profile(
        "territorial", max_examples=60, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    settings.load_profile("territorial")
except ImportError:  # pragma: no cover - hypothesis is in the test extra
    pass

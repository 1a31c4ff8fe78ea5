"""Maps open with no network by default: the installed package carries the map files, and when they are
nowhere to be found the main job still finishes and says how to fix it."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from territorial.cli import app
from territorial.examples import example_path
from territorial.maps import show_map, territories_map

REPO = Path(__file__).resolve().parent.parent
LINKED = re.compile(r'<(?:script|link)\b[^>]*?(?:src|href)="https?://')


@pytest.mark.slow
def test_a_wheel_built_after_npm_ci_carries_the_map_files_and_works_from_anywhere(tmp_path):
    # build the wheel as `pip install .` does (after `npm ci`), unpack it outside the checkout and draw a map
    # there, with no node_modules in sight and TERRITORIAL_ASSETS unset
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = tmp_path.glob("territorial-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "territorial/_static/leaflet/dist/leaflet.js" in names
    assert "territorial/_static/leaflet/dist/images/layers.png" in names  # what the style sheets point to
    assert "territorial/_static/leaflet/LICENSE" in names
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    script = (
        "import territorial, pathlib; from territorial.maps import render_map, territories_map; "
        f"assert pathlib.Path(territorial.__file__).is_relative_to(pathlib.Path(r'{site}')); "
        "print(len(render_map(territories_map(territorial.territories()))))"
    )
    env = {k: v for k, v in os.environ.items() if k != "TERRITORIAL_ASSETS"} | {"PYTHONPATH": str(site)}
    drawn = subprocess.run(
        [sys.executable, "-c", script], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=300
    )
    assert drawn.returncode == 0, drawn.stderr[-2000:]
    assert int(drawn.stdout.strip()) > 100_000  # Leaflet inlined


def test_without_the_map_files_run_finishes_and_says_the_map_needs_the_network(tmp_path, monkeypatch):
    monkeypatch.setenv("TERRITORIAL_ASSETS", str(tmp_path / "nowhere"))
    result = CliRunner().invoke(app, ["run", "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "out" / "carte.html").read_text(encoding="utf-8")
    assert LINKED.search(page)  # the linked version was written
    said = result.output
    assert "carte.html links Leaflet from the internet" in said and "npm ci" in said and "TERRITORIAL_ASSETS" in said


def test_maps_are_self_contained_by_default_and_cdn_on_request(tmp_path):
    source = example_path("cyber_centres_exemple.csv")
    runner = CliRunner()
    assert runner.invoke(app, ["map", str(source), "-o", str(tmp_path / "a.html")]).exit_code == 0
    assert not LINKED.search((tmp_path / "a.html").read_text(encoding="utf-8"))
    assert runner.invoke(app, ["map", str(source), "-o", str(tmp_path / "b.html"), "--cdn"]).exit_code == 0
    assert LINKED.search((tmp_path / "b.html").read_text(encoding="utf-8"))


def test_notebook_display_is_offline_and_sandboxed(default_territories):
    shown = show_map(territories_map(default_territories), height=400)._repr_html_()
    assert shown.startswith("<iframe srcdoc=") and 'sandbox="allow-scripts"' in shown and "height:400px" in shown
    assert not LINKED.search(html.unescape(shown))  # nothing the frame would fetch

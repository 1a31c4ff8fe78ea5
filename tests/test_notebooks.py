"""Every planner notebook runs headless on the embedded data, with no error; none is committed with outputs."""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))

pytestmark = pytest.mark.slow  # a real browser / real kernels: minutes on 2 cores


def test_the_five_notebooks_are_there():
    assert [p.stem for p in NOTEBOOKS] == [
        "01_prise_en_main",
        "02_equilibre_territorial",
        "03_implantation",
        "04_programme",
        "05_export_sig",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stripped(path):
    book = nbformat.read(path, as_version=4)
    for cell in book.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, "strip the outputs before committing"


WIDGET = "application/vnd.jupyter.widget-view+json"


def outputs(book, kind: str) -> list:
    return [o for c in book.cells if c.cell_type == "code" for o in c.outputs if kind in o.get("data", {})]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_shows_pictures_and_checks_its_results(path, tmp_path):
    book = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(book, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    elapsed = time.perf_counter() - start
    errors = [o for c in book.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == []  # every assert of the notebook held
    asserts = sum(c.source.count("assert ") for c in book.cells if c.cell_type == "code")
    assert asserts >= 2, "a notebook checks its key results"
    charts = outputs(book, "image/png")
    maps = [o for o in outputs(book, "text/html") if '<iframe srcdoc="' in o["data"]["text/html"]]
    assert charts or maps, "a notebook shows what it computes: a chart or an inline map"
    for shown in maps:  # offline: the map page carries Leaflet itself, nothing from a CDN
        page = shown["data"]["text/html"]
        assert "L.map(" in page or "L.map" in page
        assert "cdn.jsdelivr" not in page and "unpkg.com" not in page and "cdnjs.cloudflare" not in page
    if path.stem in ("02_equilibre_territorial", "03_implantation"):
        assert outputs(book, WIDGET), "this notebook explores with widgets"
    print(f"{path.stem}: {elapsed:.1f} s")  # reported with -s; the budget is under a minute

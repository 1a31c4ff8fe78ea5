"""The pipeline: the place where inputs are read, measures called and files written.

Measures (:mod:`territorial.analysis`, :mod:`territorial.programme`, :mod:`territorial.siting`...)
take frames and return results; the functions here start from files.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from territorial._errors import InputFileError
from territorial.analysis import analyse
from territorial.export import export_analysis, write_analysis_tables, write_programme_tables, write_table
from territorial.geocode import GeocodeResult, geocode_file
from territorial.io import read_scheme
from territorial.maps import coverage_map, save_map, siting_map
from territorial.programme import ProgrammeReport, programme_report
from territorial.report import write_report
from territorial.scenario import InputLayer, Scenario, assign_kind
from territorial.schemes import resolve_scheme
from territorial.siting import site

logger = logging.getLogger(__name__)

__all__ = ["RunResult", "geocode_layers", "programme_from_file", "run_scenario"]


def programme_from_file(path: str | Path | None = None, *, scheme="cper2000", **reader_options) -> ProgrammeReport:
    """The programme report of a projects file: read, geocoded like any layer, checked and summed by territory.

    Parameters
    ----------
    path : path, optional
        The projects file (any format :func:`territorial.geocode_file` reads); without it, the
        programme and its source check only.
    scheme : territory scheme (default ``cper2000``)
    **reader_options
        Passed to :func:`territorial.geocode_file` (``sep``, ``encoding``, ``columns``...).
    """
    if path is None:
        return programme_report(scheme=scheme)
    return programme_report(geocode_file(path, scheme=scheme, **reader_options), scheme=scheme)


def _unique_name(path: Path, taken: dict) -> str:
    """An input's file name, or its whole path when another input already has that name."""
    return path.name if path.name not in taken else str(path)


def geocode_layers(
    layers: Sequence[InputLayer],
    *,
    scheme,
    rejects_dir: Path | None = None,
    on_layer: Callable[[InputLayer, GeocodeResult | None], object] | None = None,
) -> tuple[gpd.GeoDataFrame, dict[str, GeocodeResult], list[Path]]:
    """Geocode every input layer and give each accepted row its kind.

    Parameters
    ----------
    layers : sequence of InputLayer
        The files, with their reading options and kind.
    scheme : validated territory scheme
    rejects_dir : path, optional
        Folder where each input's rejected rows are written (``<stem>_rejets.csv``).
    on_layer : callable, optional
        Called with ``(layer, None)`` before a layer is read and ``(layer, result)`` after.

    Returns
    -------
    facilities, results, written
        The accepted rows of every layer (EPSG:2154, with ``kind``), the geocoding result
        of each input by file name (the whole path when two inputs share a name), and the
        rejects files written.
    """
    notify = on_layer or (lambda layer, result: None)
    frames, results, written = [], {}, []
    for layer in layers:
        notify(layer, None)
        result = geocode_file(
            layer.path,
            sep=layer.sep,
            encoding=layer.encoding,
            layer=layer.layer,
            sheet=layer.sheet,
            columns=layer.columns or None,
            crs=layer.crs,
            scheme=scheme,
            online=layer.online,
        )
        results[_unique_name(layer.path, results)] = result
        if rejects_dir is not None:
            written.append(write_table(result.rejected, Path(rejects_dir) / f"{layer.path.stem}_rejets.csv"))
        frames.append(assign_kind(result.accepted, kind=layer.kind, kind_column=layer.kind_column, path=layer.path))
        notify(layer, result)
    facilities = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs="EPSG:2154")
    return facilities, results, written


@dataclass
class RunResult:
    """What a run produced."""

    analysis: object
    facilities: gpd.GeoDataFrame
    geocoding: dict[str, object]
    written: list[Path]
    programme: object = None
    siting: object = None


def run_scenario(
    scenario: Scenario, *, output_dir: str | Path | None = None, progress: Callable[[str], None] | None = None
) -> RunResult:
    """Geocode, analyse, map and report a scenario; return what was written.

    Parameters
    ----------
    scenario : Scenario
    output_dir : path, optional
        Overrides the scenario's output folder.
    progress : callable, optional
        Called with a short French description before each step (for progress bars).
    """

    step = progress or (lambda message: None)
    folder = Path(output_dir) if output_dir is not None else scenario.output_dir
    scheme = read_scheme(scenario.scheme) if isinstance(scenario.scheme, Path) else resolve_scheme(scenario.scheme)
    facilities, results, written = geocode_layers(
        scenario.inputs,
        scheme=scheme,
        rejects_dir=folder,
        on_layer=lambda layer, result: step(f"géocodage de {layer.path.name}") if result is None else None,
    )
    step("analyse de l'équilibre territorial")
    analysis = analyse(
        facilities,
        radii_km=scenario.radii_km,
        scheme=scheme,
        targets=scenario.targets,
        priority=scenario.priority or None,
        detour=scenario.detour,
    )
    written += write_analysis_tables(analysis, folder)
    ledger = None
    if scenario.projects is not None:
        step(f"programme : contrôle de {scenario.projects.name}")
        ledger = programme_from_file(scenario.projects, scheme=scheme)
        written += write_programme_tables(ledger, folder)
    sited = None
    if scenario.siting is not None:
        step("implantation de nouveaux sites")
        sited, siting_files = _run_siting(scenario, analysis, facilities, scheme, folder)
        written += siting_files
    step("carte interactive")
    fmap = coverage_map(
        analysis,
        facilities,
        indicator=scenario.indicator,
        territory_indicator=scenario.territory_indicator,
        classification=scenario.classification,
        title=scenario.title,
        example_data=scenario.example_data,
        projects=ledger.located if ledger is not None else None,
    )
    written.append(save_map(fmap, folder / scenario.map_name, self_contained=scenario.self_contained))
    step("export SIG")
    written += _export_gpkg(scenario, folder, analysis, facilities, results, ledger, sited)
    step("rapport")
    written += write_report(
        analysis,
        facilities,
        results,
        folder / scenario.report_name,
        title=scenario.title,
        example_data=scenario.example_data,
        indicator=scenario.indicator,
        classification=scenario.classification,
        programme=ledger,
        siting=sited,
    )
    return RunResult(
        analysis=analysis, facilities=facilities, geocoding=results, written=written, programme=ledger, siting=sited
    )


def _run_siting(scenario: Scenario, analysis, facilities, scheme, folder: Path):
    """The scenario's siting step: the next sites of one kind, toward its target or a given k."""

    options = scenario.siting
    kind = options["kind"]
    existing = facilities[facilities["kind"] == kind]
    if options.get("toward_target"):
        target = {**{"cyber_centre": 200}, **scenario.targets}.get(kind)
        if target is None:
            raise InputFileError(f"[siting] toward_target: no target for {kind!r}; add it under [targets] or give k")
        k = max(int(target) - len(existing), 0)
    else:
        k = int(options["k"])
    radius = float(options.get("radius_km", analysis.radii_km.get(kind, 5.0)))
    result = site(
        k=k,
        radius_km=radius,
        existing=existing,
        weights=options.get("weights"),
        min_per_territory=options.get("min_per_territory"),
        solver=options.get("solver", "auto"),
        scheme=scheme,
    )
    written = [
        write_table(result.sites.drop(columns="geometry"), folder / "sites_proposes.csv"),
        write_table(result.coverage, folder / "sites_couverture.csv"),
        save_map(
            siting_map(result, existing=existing, kind=kind, title=f"{scenario.title} — prochains sites"),
            folder / "carte_sites.html",
            self_contained=scenario.self_contained,
        ),
    ]
    return result, written


def _export_gpkg(
    scenario: Scenario,
    folder: Path,
    analysis,
    facilities: gpd.GeoDataFrame,
    results: dict[str, GeocodeResult],
    ledger,
    sited,
) -> list[Path]:
    """The run's GeoPackage: every layer, the rejected rows of every input, the run's parameters."""
    rejects = pd.concat(
        [pd.DataFrame(r.rejected).assign(source=name) for name, r in results.items()], ignore_index=True
    )
    return export_analysis(
        analysis,
        facilities,
        folder / scenario.gpkg_name,
        rejects=rejects,
        overwrite=True,
        projects=ledger.located if ledger is not None else None,
        sites=sited.sites if sited is not None else None,
        indicator=scenario.indicator,
        territory_indicator=scenario.territory_indicator,
        classification=scenario.classification,
        parameters={
            "scénario": str(scenario.source),
            "découpage": str(scenario.scheme),
            "détour": scenario.detour,
            "cibles": scenario.targets,
            "priorités": scenario.priority,
        },
        command=f"territorial run {scenario.source}",
    )

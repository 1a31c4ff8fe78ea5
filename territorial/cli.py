"""Command-line interface: ``territorial COMMAND``.

Exit codes: 0 success, 1 data errors (invalid scheme, unreadable content), 2 usage
errors (bad option, missing file).
"""

from __future__ import annotations

import contextlib
import enum
import errno
import logging
import signal
import sys
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from typer.exceptions import TyperException

from territorial import geography, labels, pipeline
from territorial._errors import ArgumentError, InputFileError, TerritorialError
from territorial._format import fr_number
from territorial.config import check_options
from territorial.scenario import InputLayer, default_scenario, load_scenario
from territorial.timeline import PLAN_YEARS


class Undated(enum.StrEnum):
    """What --undated accepts: undated facilities and projects counted at every date, or left out."""

    COUNT = "count"
    EXCLUDE = "exclude"


app = typer.Typer(
    name="territorial",
    help="Territorial-coverage analysis of the Nord-Pas de Calais information-society plan (CPER 2000-2006).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: Options of the whole invocation that ``main`` reads after the command: ``--debug``.
_state = {"debug": False}

SchemeOption = Annotated[
    Optional[Path],
    typer.Option(
        "--scheme",
        help="Territory scheme: a table INSEE code -> territory (CSV/XLSX) or a polygon layer "
        "(GeoPackage, GeoJSON, Shapefile, FlatGeobuf). Default: the plan's five territories (cper2000).",
        show_default=False,
    ),
]
CodeColumnOption = Annotated[
    Optional[str], typer.Option("--code-column", help="Column of the scheme table holding the INSEE code.")
]
TerritoryColumnOption = Annotated[
    Optional[str], typer.Option("--territory-column", help="Column of the scheme holding the territory name.")
]
LayerOption = Annotated[Optional[str], typer.Option("--layer", help="Layer of a multi-layer scheme file.")]


@contextlib.contextmanager
def _user_errors():
    """Turn the library's errors into a message on stderr and an exit code."""
    try:
        yield
    except (FileNotFoundError, InputFileError, ArgumentError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    except TerritorialError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    except OSError as exc:
        said = _system_problem(exc)
        if said is None:
            raise
        typer.echo(f"error: {said}", err=True)
        raise typer.Exit(2 if exc.errno != errno.ENOSPC else 1) from exc


#: What the system said, and what to do about it.
_SYSTEM_PROBLEMS = {
    errno.ENOSPC: "the disk is full; free some space or write the outputs elsewhere (-o)",
    errno.EDQUOT: "the disk quota is exceeded; free some space or write the outputs elsewhere (-o)",
    errno.EACCES: "permission denied; choose a folder you may write to (-o) or change its permissions",
    errno.EPERM: "operation not permitted; choose a folder you may write to (-o)",
    errno.EROFS: "the file system is read-only; write the outputs elsewhere (-o)",
    errno.ENOTDIR: "a path that should be a folder is a file; give a folder (-o DIR)",
    errno.EISDIR: "a path that should be a file is a folder; give a file name (-o FILE)",
    errno.ENAMETOOLONG: "the file name is too long; choose a shorter one",
}


def _system_problem(exc: OSError) -> str | None:
    """A one-paragraph message for the system errors a user can fix (disk full, permissions...), else None."""
    advice = _SYSTEM_PROBLEMS.get(exc.errno or 0)
    if advice is None:
        return None
    where = f"{exc.filename}: " if exc.filename else ""
    return (
        f"{where}{advice} ({exc.strerror or errno.errorcode.get(exc.errno or 0, '')}). "
        "Outputs are written whole or not at all: the files already there were not changed."
    )


def _spinner() -> Progress:
    """A transient spinner with a description and the time elapsed, shown only on a terminal."""
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        transient=True,
        disable=not sys.stderr.isatty(),
    )


@contextlib.contextmanager
def _steps(total: int) -> Iterator:
    """A progress callback for the pipeline: each call names the step under way and advances the spinner."""
    with _spinner() as bar:
        task = bar.add_task("démarrage", total=total)
        yield lambda message: bar.update(task, description=message, advance=1)


def _echo(lines) -> None:
    for line in lines:
        typer.echo(line)


class _Said(logging.Handler):
    """The library's warnings (and, with --verbose, its progress) said on stderr as plain sentences."""

    def emit(self, record: logging.LogRecord) -> None:
        prefix = "attention : " if record.levelno >= logging.WARNING else ""
        typer.echo(prefix + record.getMessage(), err=True)


def _say_library_logs(*, verbose: bool) -> None:
    library = logging.getLogger("territorial")
    for handler in [h for h in library.handlers if isinstance(h, _Said)]:
        library.removeHandler(handler)
    library.addHandler(_Said())
    library.setLevel(logging.INFO if verbose else logging.WARNING)
    library.propagate = False  # said once, without the logger's name


def _version(value: bool) -> None:
    if value:
        typer.echo(f"territorial {version('territorial')}")
        raise typer.Exit()


@app.callback()
def _main(
    ctx: typer.Context,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress to stderr.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show the full traceback of an unexpected error.")] = False,
    geography_path: Annotated[
        Optional[Path],
        typer.Option(
            "--geography",
            help="Another geography built by geodata/build.py (e.g. all of France); default: the "
            "embedded Nord-Pas de Calais, or $TERRITORIAL_GEOGRAPHY.",
        ),
    ] = None,
    show_version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
):
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    _say_library_logs(verbose=verbose)
    _state["debug"] = debug
    with _user_errors():
        ctx.with_resource(geography.using(geography_path))


@app.command("territories")
def territories_command(
    scheme: SchemeOption = None,
    code_column: CodeColumnOption = None,
    territory_column: TerritoryColumnOption = None,
    layer: LayerOption = None,
    csv: Annotated[bool, typer.Option("--csv", help="Print CSV (UTF-8, `;`) instead of a table.")] = False,
):
    """Print the territories of a scheme: communes, population, area and density."""
    with _user_errors():
        chosen = pipeline.scheme_from(scheme, code_column=code_column, territory_column=territory_column, layer=layer)
        table = pipeline.territories(chosen).drop(columns="geometry")
    if csv:
        typer.echo(table.to_csv(sep=";", index=False), nl=False)
        return
    _echo(labels.territory_table_lines(table))


def _parse_pairs(pairs: list[str] | None, *, option: str, form: str) -> dict[str, str]:
    parsed = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise typer.BadParameter(f"expected {form}, got {pair!r}", param_hint=option)
        parsed[key.strip()] = value.strip()
    return parsed


@app.command("geocode")
def geocode_command(
    input: Annotated[
        Path, typer.Argument(help="CSV/TXT, XLSX, GeoJSON, GeoPackage, Shapefile (.shp/.zip) or FlatGeobuf.")
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Accepted rows: .csv (x, y in Lambert-93), .gpkg or .geojson.")
    ],
    rejects: Annotated[
        Optional[Path], typer.Option("--rejects", help="Rejected rows (CSV). Default: OUTPUT's stem + _rejets.csv.")
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit with code 1 if any row is rejected (outputs are still written).")
    ] = False,
    scheme: SchemeOption = None,
    crs: Annotated[
        Optional[str],
        typer.Option(
            "--crs",
            help="CRS of the coordinate columns, e.g. EPSG:2154 (default: WGS84 for lat/lon, inferred for x/y).",
        ),
    ] = None,
    column: Annotated[
        Optional[list[str]],
        typer.Option(
            "--column",
            help="ROLE=COLUMN override, repeatable; roles: id, code_insee, commune, code_postal, adresse, "
            "departement, latitude, longitude, x, y.",
        ),
    ] = None,
    sep: Annotated[Optional[str], typer.Option("--sep", help="Delimiter of a text file (default: detected).")] = None,
    encoding: Annotated[
        Optional[str], typer.Option("--encoding", help="Encoding of a text file (default: detected).")
    ] = None,
    layer: Annotated[
        Optional[str], typer.Option("--layer", help="Layer of a multi-layer input (GeoPackage...).")
    ] = None,
    sheet: Annotated[Optional[str], typer.Option("--sheet", help="Worksheet of a spreadsheet input.")] = None,
    online: Annotated[
        bool,
        typer.Option("--online", help="Also locate addresses with the national address service (BAN); off by default."),
    ] = False,
    ban_url: Annotated[
        Optional[str], typer.Option("--ban-url", help="Batch CSV endpoint of the address service.")
    ] = None,
    ban_cache: Annotated[
        Optional[Path], typer.Option("--ban-cache", help="Cache folder of the address service's answers.")
    ] = None,
    engine: Annotated[
        str,
        typer.Option("--engine", help="memory, or dask: a large CSV streamed partition by partition (CSV outputs)."),
    ] = "memory",
    scheduler: Annotated[
        Optional[str], typer.Option("--scheduler", help="Address of an existing Dask cluster (default: a local one).")
    ] = None,
    partition_rows: Annotated[
        int, typer.Option("--partition-rows", min=1, help="Rows per partition with --engine dask.")
    ] = 250_000,
):
    """Geocode a file onto the communes of Nord and Pas-de-Calais; every row is accepted or rejected with its reason."""
    columns = _parse_pairs(column, option="--column", form="ROLE=COLUMN")
    rejects = rejects or pipeline.rejects_path(output)
    with _user_errors():
        check_options(**{"--sep": sep, "--crs": crs})
    if engine == "dask":
        _geocode_on_dask(
            input,
            output,
            rejects,
            scheduler=scheduler,
            partition_rows=partition_rows,
            sep=sep,
            encoding=encoding,
            columns=columns,
            crs=crs,
            scheme=scheme,
            strict=strict,
            online=online,
        )
        return
    if engine != "memory":
        raise typer.BadParameter("choose memory or dask", param_hint="--engine")
    with _user_errors(), _steps(2) as progress:
        done = pipeline.geocode_to_files(
            input,
            output,
            rejects=rejects,
            scheme=pipeline.scheme_from(scheme),
            strict=strict,
            progress=progress,
            sep=sep,
            encoding=encoding,
            layer=layer,
            sheet=sheet,
            columns=columns,
            crs=crs,
            online=online,
            ban_url=ban_url,
            ban_cache=ban_cache,
        )
    typer.echo(done.result.summary_text())
    typer.echo(f"acceptées : {done.accepted}")
    typer.echo(f"rejets : {done.rejected}")
    if done.error is not None:
        typer.echo(f"error: {done.error}", err=True)
        raise typer.Exit(1)


def _geocode_on_dask(
    input: Path,
    output: Path,
    rejects: Path,
    *,
    scheduler,
    partition_rows,
    sep,
    encoding,
    columns,
    crs,
    scheme,
    strict,
    online,
) -> None:
    """`geocode --engine dask`: stream a large text file through a Dask cluster into two CSV files."""
    with (
        _user_errors(),
        Progress(
            BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), transient=True, disable=not sys.stderr.isatty()
        ) as bar,
    ):
        task = bar.add_task("géocodage", total=None)
        summary = pipeline.geocode_on_dask(
            input,
            accepted=output,
            rejected=rejects,
            scheduler=scheduler,
            scheme=pipeline.scheme_from(scheme),
            partition_rows=partition_rows,
            sep=sep,
            encoding=encoding,
            columns=columns,
            crs=crs,
            online=online,
            progress=lambda rows: bar.update(task, completed=rows),
        )
    typer.echo(summary.summary_text())
    typer.echo(f"acceptées : {output}")
    typer.echo(f"rejets : {rejects}")
    if strict and summary.n_rejected:
        typer.echo(f"error: {fr_number(summary.n_rejected)} row(s) rejected (--strict); see {rejects}", err=True)
        raise typer.Exit(1)


def _kind_for(kinds: list[str] | None, position: int, n_inputs: int) -> str | None:
    """The --kind of one input: a single value for all, or one per input."""
    if not kinds:
        return None
    if len(kinds) not in (1, n_inputs):
        raise typer.BadParameter(
            f"give one --kind for all inputs or one per input ({n_inputs}), got {len(kinds)}", param_hint="--kind"
        )
    return kinds[0] if len(kinds) == 1 else kinds[position]


def _layers(inputs: list[Path], *, kind: list[str] | None, kind_column: str | None) -> list[InputLayer]:
    """The input files as layers, each with its --kind."""
    return [
        InputLayer(path=path, kind=_kind_for(kind, position, len(inputs)), kind_column=kind_column)
        for position, path in enumerate(inputs)
    ]


def _echo_layer(layer: InputLayer, result) -> None:
    """After each input: how many rows were accepted and rejected."""
    if result is not None:
        typer.echo(f"{layer.path.name} : {len(result.accepted)} lignes acceptées, {len(result.rejected)} rejetées")


#: The form of each option given as NAME=NUMBER pairs.
_PAIR_FORMS = {"--radius": "KIND=KM", "--target": "KIND=NUMBER", "--priority": "TERRITORY=WEIGHT"}


def _parse_numbers(pairs: list[str] | None, *, option: str) -> dict[str, float]:
    parsed = {}
    for key, value in _parse_pairs(pairs, option=option, form=_PAIR_FORMS.get(option, "NAME=NUMBER")).items():
        try:
            parsed[key] = float(value.replace(",", "."))
        except ValueError:
            raise typer.BadParameter(f"{value!r} is not a number in {key}={value}", param_hint=option) from None
    return parsed


@app.command("analyse")
def analyse_command(
    inputs: Annotated[list[Path], typer.Argument(help="Files of facilities (any format `geocode` reads).")],
    output_dir: Annotated[Path, typer.Option("--output-dir", "-o", help="Folder of the result tables.")],
    kind: Annotated[
        Optional[list[str]],
        typer.Option("--kind", help="Kind of the facilities: once for all inputs, or once per input in order."),
    ] = None,
    kind_column: Annotated[
        Optional[str],
        typer.Option("--kind-column", help="Column holding each row's kind (default: `kind` or `type` when present)."),
    ] = None,
    radius: Annotated[
        Optional[list[str]],
        typer.Option(
            "--radius",
            help="KIND=KM coverage radius, repeatable (defaults: cyber_centre=5, broadband_access_point=3, others 5).",
        ),
    ] = None,
    scheme: SchemeOption = None,
    target: Annotated[
        Optional[list[str]],
        typer.Option("--target", help="KIND=N facilities expected over the region (default cyber_centre=200)."),
    ] = None,
    priority: Annotated[
        Optional[list[str]], typer.Option("--priority", help="TERRITOIRE=WEIGHT of the fair share (default 1).")
    ] = None,
    detour: Annotated[float, typer.Option("--detour", help="Factor applied to straight-line distances.")] = 1.0,
    capacity_column: Annotated[
        Optional[str],
        typer.Option("--capacity-column", help="Facility capacity for 2SFCA (default `postes` or `capacite`)."),
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Exit with code 1 if any input row is rejected.")] = False,
    by_year: Annotated[
        bool,
        typer.Option(
            "--by-year",
            help="Also write evolution.csv: facilities open each year 2000-2006 (date_ouverture, date_fermeture), "
            "with that year's coverage, mean distance and Theil index by territory.",
        ),
    ] = False,
    undated: Annotated[
        Undated,
        typer.Option(
            "--undated",
            help="With --by-year, undated facilities are counted every year (count) or left out (exclude).",
        ),
    ] = Undated.COUNT,
):
    """Measure spatial balance: counts, distances, coverage, equity, fair share, hot and cold spots."""
    radii = _parse_numbers(radius, option="--radius")
    targets = _parse_numbers(target, option="--target")
    weights = _parse_numbers(priority, option="--priority")
    with _user_errors():
        check_options(**{"--radius": radii, "--target": targets, "--priority": weights, "--detour": detour})
        done = pipeline.analyse_files(
            _layers(inputs, kind=kind, kind_column=kind_column),
            output_dir,
            scheme=pipeline.scheme_from(scheme),
            radii_km=radii,
            targets=targets,
            priority=weights,
            detour=detour,
            capacity_column=capacity_column,
            by_year=by_year,
            undated=undated.value,
            on_layer=_echo_layer,
        )
    _echo(labels.region_lines(done.analysis))
    _echo(map(str, done.written))
    if strict and len(done.rejected):
        typer.echo(f"error: {len(done.rejected)} input rows rejected (see the *_rejets.csv files)", err=True)
        raise typer.Exit(1)


@app.command("export")
def export_command(
    inputs: Annotated[list[Path], typer.Argument(help="Files of facilities (any format `geocode` reads).")],
    output: Annotated[
        Path,
        typer.Option("--output", "-o", help="Target: .gpkg, .shp, .zip (zipped Shapefiles), .geojson, .fgb or .csv."),
    ],
    crs: Annotated[str, typer.Option("--crs", help="Output CRS (GeoJSON is always EPSG:4326).")] = "EPSG:2154",
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace existing files.")] = False,
    excel_fr: Annotated[bool, typer.Option("--excel-fr", help="CSV for French Excel: `;` and UTF-8 with BOM.")] = False,
    kind: Annotated[
        Optional[list[str]],
        typer.Option("--kind", help="Kind of the facilities: once for all inputs, or once per input."),
    ] = None,
    kind_column: Annotated[Optional[str], typer.Option("--kind-column", help="Column holding each row's kind.")] = None,
    radius: Annotated[
        Optional[list[str]], typer.Option("--radius", help="KIND=KM coverage radius, repeatable.")
    ] = None,
    scheme: SchemeOption = None,
    indicator: Annotated[
        Optional[str], typer.Option("--indicator", help="Commune indicator of the communes layer's style.")
    ] = None,
):
    """Geocode and analyse facilities, then export the layers for GIS (QGIS styles in the GeoPackage)."""
    radii = _parse_numbers(radius, option="--radius")
    with _user_errors():
        check_options(**{"--radius": radii, "--crs": crs})
        done = pipeline.export_files(
            _layers(inputs, kind=kind, kind_column=kind_column),
            output,
            scheme=pipeline.scheme_from(scheme),
            radii_km=radii,
            on_layer=_echo_layer,
            crs=crs,
            overwrite=overwrite,
            excel_fr=excel_fr,
            indicator=indicator,
            parameters={"entrées": ", ".join(str(p) for p in inputs), "découpage": str(scheme or "cper2000")},
            command="territorial " + " ".join(sys.argv[1:]),
        )
    _echo(map(str, done.written))


@app.command("programme")
def programme_command(
    projects: Annotated[
        Optional[Path], typer.Option("--projects", help="Projects file (CSV/XLSX): one row per funded project.")
    ] = None,
    output_dir: Annotated[
        Optional[Path],
        typer.Option(
            "--output-dir", "-o", help="Write programme.csv, controle_source.csv and the project tables here."
        ),
    ] = None,
    scheme: SchemeOption = None,
    local_rule: Annotated[
        Optional[list[str]],
        typer.Option(
            "--local-rule",
            help="Also apply a rule that is not in the plan, as a labelled warning: departement (a Département "
            "funds only projects located in it). Repeatable.",
        ),
    ] = None,
):
    """Print priority 10 by objective and partner, check the source, and check and aggregate funded projects.

    Each finding is a violation (a firm rule of the plan) or an avertissement (a rule the plan softens,
    contradicts, or a local policy asked for with --local-rule).
    """
    with _user_errors():
        report, written = pipeline.programme_to_files(
            projects, output_dir=output_dir, scheme=pipeline.scheme_from(scheme), local_rules=tuple(local_rule or ())
        )
    _echo(labels.programme_lines(report))
    _echo(map(str, written))


def _weights(values: list[str] | None) -> dict[str, float]:
    """``"Bassin Minier=1.5,Sud Nord=1.5"`` (commas or repeated options) as a dict."""
    pairs = [part for value in values or [] for part in value.split(",") if part.strip()]
    return _parse_numbers(pairs, option="--weights")


@app.command("site")
def site_command(
    output: Annotated[Path, typer.Option("--output", "-o", help="CSV of the chosen sites (x, y in Lambert-93).")],
    k: Annotated[Optional[int], typer.Option("--k", help="Number of new sites.")] = None,
    radius: Annotated[float, typer.Option("--radius", help="Coverage radius, km.")] = 5.0,
    candidates: Annotated[
        Optional[Path],
        typer.Option("--candidates", help="Candidate sites (any readable file); default: every town hall."),
    ] = None,
    existing: Annotated[
        Optional[Path], typer.Option("--existing", help="Existing facilities (kept, never moved).")
    ] = None,
    weights: Annotated[
        Optional[list[str]], typer.Option("--weights", help='Priority weights, e.g. "Bassin Minier=1.5,Sud Nord=1.5".')
    ] = None,
    min_per_territory: Annotated[
        Optional[int], typer.Option("--min-per-territory", help="Minimum number of new sites in every territory.")
    ] = None,
    solver: Annotated[
        str, typer.Option("--solver", help="exact (MILP, HiGHS), heuristic (greedy + swaps) or auto.")
    ] = "auto",
    share: Annotated[
        Optional[float],
        typer.Option("--share", help="Instead of --k: the fewest sites covering this share (0-1) of the population."),
    ] = None,
    scheme: SchemeOption = None,
    map_path: Annotated[
        Optional[Path], typer.Option("--map", help="Also write the side-by-side today / scenario map (HTML).")
    ] = None,
    year: Annotated[
        Optional[int],
        typer.Option(
            "--year",
            help="Start from the existing facilities open on 31 December of this year (date_ouverture, "
            "date_fermeture) instead of all of them.",
        ),
    ] = None,
    undated: Annotated[
        Undated,
        typer.Option("--undated", help="With --year, undated existing facilities are kept (count) or not (exclude)."),
    ] = Undated.COUNT,
):
    """Where the next k sites would cover the most people within the radius (maximal covering)."""
    if (k is None) == (share is None):
        raise typer.BadParameter("give either --k or --share", param_hint="--k")
    with _user_errors():
        priority_weights = _weights(weights)
        check_options(
            **{"--radius-km": radius, "--weights": priority_weights, "--share": share, "--k": k},
            **{"--min-per-territory": min_per_territory, "--year": year},
        )
        result, written = pipeline.site_to_files(
            output,
            k=k,
            share=share,
            radius_km=radius,
            candidates=candidates,
            existing=existing,
            scheme=pipeline.scheme_from(scheme),
            map_path=map_path,
            weights=priority_weights or None,
            min_per_territory=min_per_territory,
            solver=solver,
            year=year,
            undated=undated.value,
        )
    _echo(labels.siting_lines(result))
    _echo(map(str, written))


@app.command("points")
def points_command(
    output: Annotated[Path, typer.Option("--output", "-o", help="CSV: per commune, the points and those covered.")],
    source: Annotated[
        Optional[Path], typer.Argument(help="CSV of points with x/y (Lambert-93) or latitude/longitude columns.")
    ] = None,
    synthetic: Annotated[
        Optional[int],
        typer.Option("--synthetic", help="Instead of a file: this many synthetic address points (seeded)."),
    ] = None,
    facilities: Annotated[
        Optional[Path],
        typer.Option("--facilities", help="Facilities (any readable file) whose radius covers the points."),
    ] = None,
    radius: Annotated[float, typer.Option("--radius", help="Coverage radius, km.")] = 3.0,
    engine: Annotated[str, typer.Option("--engine", help="memory, or dask (partition by partition).")] = "memory",
    scheduler: Annotated[
        Optional[str], typer.Option("--scheduler", help="Address of an existing Dask cluster (default: a local one).")
    ] = None,
    partition_rows: Annotated[int, typer.Option("--partition-rows", help="Points per partition.")] = 1_000_000,
    crs: Annotated[
        Optional[str],
        typer.Option("--crs", help="CRS of the coordinates (default: Lambert-93 for x/y, WGS84 for lat/lon)."),
    ] = None,
    scheme: SchemeOption = None,
):
    """Assign many points (premises, addresses) to communes and territories and count those covered."""
    if (source is None) == (synthetic is None):
        raise typer.BadParameter("give a points file or --synthetic N", param_hint="SOURCE")
    if engine not in pipeline.ENGINES:
        raise typer.BadParameter(f"choose one of {pipeline.ENGINES}", param_hint="--engine")
    with _user_errors():
        check_options(
            **{"--radius-km": radius, "--synthetic": synthetic, "--partition-rows": partition_rows, "--crs": crs}
        )
        table, path = pipeline.points_to_file(
            output,
            source=source,
            synthetic=synthetic,
            facilities=facilities,
            radius_km=radius,
            engine=engine,
            scheduler=scheduler,
            partition_rows=partition_rows,
            crs=crs,
            scheme=pipeline.scheme_from(scheme),
        )
    total, covered = int(table["points"].sum()), int(table["points_couverts"].sum())
    typer.echo(
        f"{fr_number(total)} points, {fr_number(covered)} à moins de {fr_number(radius, 1)} km d'un équipement "
        f"({fr_number(100 * covered / max(total, 1), 1)} %) ; moteur : {engine}"
    )
    typer.echo(str(path))


@app.command("run")
def run_command(
    scenario: Annotated[
        Optional[Path], typer.Argument(help="Scenario file (TOML). Default: the embedded scenario on the example data.")
    ] = None,
    output_dir: Annotated[
        Optional[Path],
        typer.Option("--output-dir", "-o", help="Folder of the outputs (default: the scenario's, `maps`)."),
    ] = None,
    self_contained: Annotated[
        Optional[bool],
        typer.Option(
            "--self-contained/--cdn",
            help="Inline the map's scripts so it opens with no network (default: the scenario's, on), or link "
            "them from the internet (--cdn).",
        ),
    ] = None,
):
    """Run the main job: geocode, analyse, and write the map, the report, the figures and the tables."""
    with _user_errors():
        plan = load_scenario(scenario) if scenario is not None else default_scenario()
        if self_contained is not None:
            plan.self_contained = self_contained
        with _steps(len(plan.inputs) + 4) as progress:
            result = pipeline.run_scenario(plan, output_dir=output_dir, progress=progress)
    typer.echo(f"Scénario : {plan.source}")
    for name, geocoded in result.geocoding.items():
        typer.echo(
            f"  {name} : {fr_number(len(geocoded.accepted))} lignes acceptées, "
            f"{fr_number(len(geocoded.rejected))} rejetées"
        )
    _echo(labels.region_lines(result.analysis))
    if result.siting is not None:
        typer.echo(f"  Implantation de {len(result.siting.sites)} nouveaux sites :")
        _echo(f"    {line}" for line in labels.siting_lines(result.siting))
    typer.echo("Fichiers écrits :")
    _echo(f"  {path}" for path in result.written)


@app.command("map")
def map_command(
    inputs: Annotated[list[Path], typer.Argument(help="Files of facilities (any format `geocode` reads).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The HTML map to write.")],
    indicator: Annotated[
        Optional[str],
        typer.Option(
            "--indicator",
            help="Commune indicator of the choropleth, e.g. dist_cyber_centre_km, part ..., n_cyber_centre.",
        ),
    ] = None,
    self_contained: Annotated[
        bool,
        typer.Option(
            "--self-contained/--cdn",
            help="Inline scripts and styles so the map opens with no network (default), or link them from the "
            "internet (--cdn: a lighter page that needs the network).",
        ),
    ] = True,
    kind: Annotated[
        Optional[list[str]],
        typer.Option("--kind", help="Kind of the facilities: once for all inputs, or once per input."),
    ] = None,
    kind_column: Annotated[Optional[str], typer.Option("--kind-column", help="Column holding each row's kind.")] = None,
    radius: Annotated[
        Optional[list[str]], typer.Option("--radius", help="KIND=KM coverage radius, repeatable.")
    ] = None,
    scheme: SchemeOption = None,
    title: Annotated[Optional[str], typer.Option("--title", help="Title of the map.")] = None,
    by_year: Annotated[
        bool,
        typer.Option(
            "--by-year",
            help="Add a year slider (2000-2006): the facilities open on 31 December of each year "
            "(date_ouverture, date_fermeture) and, for a distance indicator, that year's distances.",
        ),
    ] = False,
    undated: Annotated[
        Undated,
        typer.Option(
            "--undated",
            help="With --by-year, undated facilities are shown every year (count) or never (exclude).",
        ),
    ] = Undated.COUNT,
):
    """Geocode and analyse facilities, then write the interactive coverage map."""
    radii = _parse_numbers(radius, option="--radius")
    with _user_errors():
        check_options(**{"--radius": radii})
        done = pipeline.map_files(
            _layers(inputs, kind=kind, kind_column=kind_column),
            output,
            scheme=pipeline.scheme_from(scheme),
            radii_km=radii,
            self_contained=self_contained,
            on_layer=_echo_layer,
            indicator=indicator,
            **({"title": title} if title else {}),
            **({"years": list(PLAN_YEARS), "undated": undated.value} if by_year else {}),
        )
    _echo(map(str, done.written))


def _terminated(number: int, frame: object) -> None:
    """SIGTERM ends the command as Ctrl-C does: its unfinished outputs are removed, the previous ones kept."""
    raise SystemExit(128 + number)


#: Options whose free text typed in another encoding is read as Windows-1252 rather than refused.
_FREE_TEXT = ("--title",)


def _undecodable(argv: list[str]) -> str | None:
    """The message for the first argument that is not valid UTF-8 (a name from another system's encoding), or None.

    File names must be text for GDAL and the manifest; a title is repaired instead (see ``repair_surrogates``).
    """
    for position, value in enumerate(argv):
        option = argv[position - 1] if position and argv[position - 1].startswith("-") else "an argument"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            if option in _FREE_TEXT:
                continue
            shown = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            return (
                f"{option} {shown!r} is not valid UTF-8 (written in another encoding); rename the file or "
                "folder with UTF-8 characters, or type the value in UTF-8"
            )
    return None


def main() -> None:
    """Entry point of the ``territorial`` console script: no traceback for users unless ``--debug``."""
    signal.signal(signal.SIGTERM, _terminated)
    said = _undecodable(sys.argv[1:])
    if said is not None:
        typer.echo(f"error: {said}", err=True)
        sys.exit(2)
    _state["debug"] = False
    if "--debug" in sys.argv[2:]:  # also after the command, as it always was: an option of the whole invocation
        sys.argv.remove("--debug")
        sys.argv.insert(1, "--debug")
    try:
        code = app(prog_name="territorial", standalone_mode=False)
    except SystemExit:
        raise
    except typer.Abort:
        sys.exit(130)
    except TyperException as exc:  # a usage error (exit 2): one paragraph, like every other error
        context = getattr(exc, "ctx", None)
        command = context.command_path if context is not None else "territorial"
        typer.echo(f"error: {exc.format_message()} (see `{command} --help`)", err=True)
        sys.exit(getattr(exc, "exit_code", 2))
    except TerritorialError as exc:  # raised outside a command's own error handling
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2 if isinstance(exc, (ArgumentError, InputFileError)) else 1)
    except Exception as exc:  # noqa: BLE001 - the last line of defence, said plainly
        if _state["debug"]:
            raise
        typer.echo(
            f"error: territorial stopped on an unexpected problem ({type(exc).__name__}: {exc}). Your files were not "
            "changed. Rerun it as `territorial --debug COMMAND ...` to see where, and report it with the input if you "
            "can.",
            err=True,
        )
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()

"""Command-line interface: ``territorial COMMAND``.

Exit codes: 0 success, 1 data errors (invalid scheme, unreadable content), 2 usage
errors (bad option, missing file).
"""

from __future__ import annotations

import contextlib
import logging
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from territorial import schemes as _schemes
from territorial._errors import ArgumentError, InputFileError, TerritorialError
from territorial._format import fr_number
from territorial.analysis import normalise_kind
from territorial.columns import column

app = typer.Typer(
    name="territorial",
    help="Territorial-coverage analysis of the Nord-Pas de Calais information-society plan (CPER 2000-2006).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

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


def _scheme(scheme: Path | None, code_column, territory_column, layer):
    if scheme is None:
        return _schemes.DEFAULT_SCHEME
    from territorial.io import read_scheme

    return read_scheme(scheme, code_column=code_column, territory_column=territory_column, layer=layer)


@app.callback()
def _main(
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
):
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    from territorial import geography

    with _user_errors():
        geography.use_geography(geography_path)


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
        frame = _schemes.territories(_scheme(scheme, code_column, territory_column, layer))
    table = frame.drop(columns="geometry")
    if csv:
        typer.echo(table.to_csv(sep=";", index=False), nl=False)
        return
    total = {
        "territoire": "Région",
        "n_communes": table["n_communes"].sum(),
        "population": table["population"].sum(),
        "area_km2": table["area_km2"].sum(),
    }
    total["densite"] = total["population"] / total["area_km2"]
    rows = [*table.to_dict("records"), total]
    headers = ("Territoire", "Communes", "Population", "Superficie (km²)", "Densité (hab./km²)")
    cells = [
        (
            str(r["territoire"]),
            fr_number(r["n_communes"]),
            fr_number(r["population"]),
            fr_number(r["area_km2"], 1),
            fr_number(r["densite"], 1),
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    line = lambda values: "  ".join(  # noqa: E731
        v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(values, widths))
    )
    typer.echo(line(headers))
    typer.echo("  ".join("-" * w for w in widths))
    for c in cells[:-1]:
        typer.echo(line(c))
    typer.echo("  ".join("-" * w for w in widths))
    typer.echo(line(cells[-1]))


def _parse_pairs(pairs: list[str] | None, *, option: str) -> dict[str, str]:
    parsed = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise typer.BadParameter(f"expected ROLE=COLUMN, got {pair!r}", param_hint=option)
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
    layer: LayerOption = None,
    sheet: Annotated[Optional[str], typer.Option("--sheet", help="Worksheet of a spreadsheet.")] = None,
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
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from territorial.export import write_points, write_table
    from territorial.geocode import GeocodeError, geocode_file

    columns = _parse_pairs(column, option="--column")
    rejects = rejects or output.with_name(f"{output.stem}_rejets.csv")
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
    failed = None
    with (
        _user_errors(),
        Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            transient=True,
            disable=not sys.stderr.isatty(),
        ) as bar,
    ):
        task = bar.add_task(f"lecture et géocodage de {input.name}", total=2)
        try:
            result = geocode_file(
                input,
                sep=sep,
                encoding=encoding,
                layer=layer,
                sheet=sheet,
                columns=columns,
                crs=crs,
                scheme=_scheme(scheme, None, None, None),
                strict=strict,
                online=online,
                ban_url=ban_url,
                ban_cache=ban_cache,
            )
        except GeocodeError as exc:
            result, failed = exc.result, exc
        bar.update(task, description=f"écriture de {fr_number(result.n_input)} lignes", advance=1)
        write_points(result.accepted, output)
        write_table(result.rejected, rejects)
    typer.echo(result.summary_text())
    typer.echo(f"acceptées : {output}")
    typer.echo(f"rejets : {rejects}")
    if failed is not None:
        typer.echo(f"error: {failed}", err=True)
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
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from territorial.scale import dask_client, geocode_csv

    for path, option in ((output, "--output"), (rejects, "--rejects")):
        if path.suffix.lower() != ".csv":
            raise typer.BadParameter(f"{path.name}: --engine dask writes CSV; end the name in .csv", param_hint=option)
    if online:
        raise typer.BadParameter(
            "the address service is not called from Dask workers; drop --online or use --engine memory",
            param_hint="--online",
        )
    with (
        _user_errors(),
        Progress(
            BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), transient=True, disable=not sys.stderr.isatty()
        ) as bar,
        dask_client(scheduler),
    ):
        task = bar.add_task("géocodage", total=None)
        summary = geocode_csv(
            input,
            accepted=output,
            rejected=rejects,
            partition_rows=partition_rows,
            sep=sep,
            encoding=encoding,
            columns=columns,
            crs=crs,
            scheme=_scheme(scheme, None, None, None),
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


def _facilities(inputs: list[Path], *, kind, kind_column, scheme, rejects_dir: Path | None = None):
    """Geocode every input, give each row its kind; return the accepted rows and the rejected ones (with `source`)."""
    import pandas as pd

    from territorial.pipeline import geocode_layers
    from territorial.scenario import InputLayer

    layers = [
        InputLayer(path=path, kind=_kind_for(kind, position, len(inputs)), kind_column=kind_column)
        for position, path in enumerate(inputs)
    ]

    def echo(layer, result):
        if result is not None:
            typer.echo(f"{layer.path.name} : {len(result.accepted)} lignes acceptées, {len(result.rejected)} rejetées")

    facilities, results, _ = geocode_layers(layers, scheme=scheme, rejects_dir=rejects_dir, on_layer=echo)
    rejected = pd.concat(
        [pd.DataFrame(r.rejected).assign(source=name) for name, r in results.items()], ignore_index=True
    )
    return facilities, rejected


def _echo_region(analysis) -> None:
    """One line per kind: facilities, population share within the radius, mean distance."""
    region = analysis.region.iloc[0]
    for k in analysis.kinds:
        typer.echo(
            f"  {k} : {fr_number(region[column('n', k)])} équipements, "
            f"{fr_number(100 * region[column('share_covered', k)], 1)} % de la population à moins de "
            f"{fr_number(analysis.radii_km[k], 1)} km (mairie), distance moyenne "
            f"{fr_number(region[column('dist_mean', k)], 1)} km"
        )


def _parse_numbers(pairs: list[str] | None, *, option: str) -> dict[str, float]:
    parsed = {}
    for key, value in _parse_pairs(pairs, option=option).items():
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
):
    """Measure spatial balance: counts, distances, coverage, equity, fair share, hot and cold spots."""
    from territorial.analysis import analyse

    radii = {normalise_kind(k): v for k, v in _parse_numbers(radius, option="--radius").items()}
    targets = {normalise_kind(k): v for k, v in _parse_numbers(target, option="--target").items()}
    weights = _parse_numbers(priority, option="--priority")
    with _user_errors():
        resolved = _scheme(scheme, None, None, None)
        facilities, rejected = _facilities(
            inputs, kind=kind, kind_column=kind_column, scheme=resolved, rejects_dir=output_dir
        )
        results = analyse(
            facilities,
            radii_km=radii,
            scheme=resolved,
            targets=targets,
            priority=weights or None,
            detour=detour,
            capacity_column=capacity_column,
        )
        from territorial.export import write_analysis_tables

        written = write_analysis_tables(results, output_dir)
    _echo_region(results)
    for path in written:
        typer.echo(str(path))
    if strict and len(rejected):
        typer.echo(f"error: {len(rejected)} input rows rejected (see the *_rejets.csv files)", err=True)
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
    from territorial.analysis import analyse
    from territorial.export import export_analysis

    radii = {normalise_kind(k): v for k, v in _parse_numbers(radius, option="--radius").items()}
    with _user_errors():
        resolved = _scheme(scheme, None, None, None)
        facilities, rejects = _facilities(inputs, kind=kind, kind_column=kind_column, scheme=resolved)
        results = analyse(facilities, radii_km=radii, scheme=resolved)
        written = export_analysis(
            results,
            facilities,
            output,
            rejects=rejects,
            crs=crs,
            overwrite=overwrite,
            excel_fr=excel_fr,
            indicator=indicator,
            parameters={"entrées": ", ".join(str(p) for p in inputs), "découpage": str(scheme or "cper2000")},
            command="territorial " + " ".join(sys.argv[1:]),
        )
    for path in written:
        typer.echo(str(path))


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
):
    """Print priority 10 by objective and partner, check the source, and check and aggregate funded projects."""
    from territorial.pipeline import programme_from_file
    from territorial.programme import PARTNERS

    with _user_errors():
        report = programme_from_file(projects, scheme=_scheme(scheme, None, None, None))
    table = report.table[report.table["action"] == ""]
    typer.echo("Priorité 10 « Développer la société de l'information » — montants en MF (M€)")
    width = 26
    typer.echo("objectif  " + "".join(p[:width].ljust(width) for p in PARTNERS))
    for objective, rows in table.groupby("objectif", sort=True):
        cells = []
        for partner in PARTNERS:
            row = rows[rows["partenaire"] == partner]
            if row.empty:
                cells.append("—".ljust(width))
                continue
            mf, meur = row["montant_mf"].iloc[0], row["montant_meur"].iloc[0]
            text = f"{fr_number(mf, 1)} ({fr_number(meur, 4)})" if meur == meur else f"{fr_number(mf, 1)} (non donné)"
            cells.append(text.ljust(width))
        typer.echo(f"{objective:<10}" + "".join(cells))
    totals = table.groupby("partenaire")["montant_mf"].sum()
    typer.echo(
        "total     "
        + "".join(
            f"{fr_number(totals.get(p, 0), 1)} ({fr_number(totals.get(p, 0) / 6.55957, 4)})".ljust(width)
            for p in PARTNERS
        )
    )
    check = report.source_check
    typer.echo(f"Contrôle de la source : {len(check)} constat(s)")
    for row in check.itertuples():
        typer.echo(f"  [{row.type}] {row.message} ({row.ou})")
    if report.projects is not None:
        checked = report.projects
        typer.echo(
            f"Projets : {len(checked.projects)} lignes, {int((checked.projects['n_violations'] > 0).sum())} "
            f"avec au moins une anomalie, {len(checked.violations)} anomalie(s)"
        )
        for line in checked.lines():
            typer.echo(f"  {line}")
    if output_dir is not None:
        with _user_errors():
            from territorial.export import write_programme_tables

            for path in write_programme_tables(report, output_dir):
                typer.echo(str(path))


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
):
    """Where the next k sites would cover the most people within the radius (maximal covering)."""
    from territorial.export import write_table
    from territorial.geocode import geocode_file
    from territorial.siting import site, sites_for_share

    if (k is None) == (share is None):
        raise typer.BadParameter("give either --k or --share", param_hint="--k")
    with _user_errors():
        resolved = _scheme(scheme, None, None, None)
        existing_points = geocode_file(existing, scheme=resolved).accepted if existing else None
        candidate_points = geocode_file(candidates, scheme=resolved).accepted if candidates else None
        if share is not None:
            result = sites_for_share(
                share, radius_km=radius, existing=existing_points, candidates=candidate_points, scheme=resolved
            )
        else:
            result = site(
                k=k,
                radius_km=radius,
                existing=existing_points,
                candidates=candidate_points,
                weights=_weights(weights) or None,
                min_per_territory=min_per_territory,
                solver=solver,
                scheme=resolved,
            )
        table = result.sites.drop(columns="geometry")
        written = [
            write_table(table, output),
            write_table(result.coverage, output.with_name(f"{output.stem}_couverture.csv")),
        ]
        if map_path is not None:
            from territorial.maps import save_map, siting_map

            written.append(save_map(siting_map(result, existing=existing_points), map_path))
    for line in result.summary_lines():
        typer.echo(line)
    for path in written:
        typer.echo(str(path))


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
    from territorial.export import write_table
    from territorial.geocode import geocode_file
    from territorial.scale import ENGINES, dask_client, point_coverage, synthetic_points

    if (source is None) == (synthetic is None):
        raise typer.BadParameter("give a points file or --synthetic N", param_hint="SOURCE")
    if engine not in ENGINES:
        raise typer.BadParameter(f"choose one of {ENGINES}", param_hint="--engine")
    with _user_errors():
        resolved = _scheme(scheme, None, None, None)
        existing = geocode_file(facilities, scheme=resolved).accepted if facilities else None
        context = dask_client(scheduler) if engine == "dask" else contextlib.nullcontext()
        with context:
            points = (
                synthetic_points(synthetic, partition_size=partition_rows, engine=engine)
                if synthetic
                else _read_points(source, engine, partition_rows, crs)
            )
            table = point_coverage(points, existing, radius_km=radius, scheme=resolved, engine=engine)
        path = write_table(table, output)
    total, covered = int(table["points"].sum()), int(table["points_couverts"].sum())
    typer.echo(
        f"{fr_number(total)} points, {fr_number(covered)} à moins de {fr_number(radius, 1)} km d'un équipement "
        f"({fr_number(100 * covered / max(total, 1), 1)} %) ; moteur : {engine}"
    )
    typer.echo(str(path))


def _read_points(source: Path, engine: str, partition_rows: int, crs):
    """A points file as a (dask) GeoDataFrame in Lambert-93."""
    from territorial.io import TEXT_SUFFIXES, detect_columns, read_input, sniff_text
    from territorial.scale import read_points_table

    if source.suffix.lower() not in TEXT_SUFFIXES:
        frame = read_input(source)
        if engine == "dask":
            import dask_geopandas

            return dask_geopandas.from_geopandas(frame.to_crs(2154), chunksize=partition_rows)
        return frame.to_crs(2154)
    encoding, sep = sniff_text(source)
    header = pd_read_head(source, sep, encoding)
    columns = detect_columns(header)
    if not ({"x", "y"} <= set(columns) or {"latitude", "longitude"} <= set(columns)):
        raise InputFileError(
            f"{source}: no x/y or latitude/longitude columns among {list(header.columns)}; "
            "name them x, y (Lambert-93) or latitude, longitude"
        )
    crs = crs or ("EPSG:2154" if "x" in columns else "EPSG:4326")
    if engine == "dask":
        import dask.dataframe as dd

        table = dd.read_csv(
            source, sep=sep, encoding=encoding, dtype=str, keep_default_na=False, na_values=[""], blocksize=64_000_000
        )
        meta = read_points_table(header.iloc[:0], columns, crs)
        return table.map_partitions(read_points_table, columns, crs, meta=meta)
    return read_points_table(read_input(source), columns, crs)


def pd_read_head(source: Path, sep: str, encoding: str):
    import pandas as pd

    return pd.read_csv(source, sep=sep, encoding=encoding, dtype=str, nrows=100, keep_default_na=False)


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
            "--self-contained/--no-self-contained",
            help="Inline the map's scripts so it opens with no network (default: the scenario's, on).",
        ),
    ] = None,
):
    """Run the main job: geocode, analyse, and write the map, the report, the figures and the tables."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from territorial.pipeline import run_scenario
    from territorial.scenario import default_scenario, load_scenario

    with _user_errors():
        plan = load_scenario(scenario) if scenario is not None else default_scenario()
        if self_contained is not None:
            plan.self_contained = self_contained
        steps = len(plan.inputs) + 4
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            transient=True,
            disable=not sys.stderr.isatty(),
        ) as bar:
            task = bar.add_task("démarrage", total=steps)
            result = run_scenario(
                plan, output_dir=output_dir, progress=lambda message: bar.update(task, description=message, advance=1)
            )
    analysis = result.analysis
    typer.echo(f"Scénario : {plan.source}")
    for name, geocoded in result.geocoding.items():
        typer.echo(
            f"  {name} : {fr_number(len(geocoded.accepted))} lignes acceptées, "
            f"{fr_number(len(geocoded.rejected))} rejetées"
        )
    _echo_region(analysis)
    if result.siting is not None:
        typer.echo(f"  Implantation de {len(result.siting.sites)} nouveaux sites :")
        for line in result.siting.summary_lines():
            typer.echo(f"    {line}")
    typer.echo("Fichiers écrits :")
    for path in result.written:
        typer.echo(f"  {path}")


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
        bool, typer.Option("--self-contained", help="Inline scripts and styles: the map opens with no network.")
    ] = False,
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
):
    """Geocode and analyse facilities, then write the interactive coverage map."""
    import pandas as pd

    from territorial.analysis import analyse
    from territorial.maps import coverage_map, save_map

    radii = {normalise_kind(k): v for k, v in _parse_numbers(radius, option="--radius").items()}
    with _user_errors():
        resolved = _scheme(scheme, None, None, None)
        facilities, _ = _facilities(inputs, kind=kind, kind_column=kind_column, scheme=resolved)
        results = analyse(facilities, radii_km=radii, scheme=resolved)
        example = facilities.get("avertissement", pd.Series(dtype=str)).astype(str).str.contains("exemple").any()
        options = {"title": title} if title else {}
        fmap = coverage_map(results, facilities, indicator=indicator, example_data=bool(example), **options)
        path = save_map(fmap, output, self_contained=self_contained)
    typer.echo(str(path))


def main() -> None:
    """Entry point of the ``territorial`` console script: no traceback for users unless ``--debug``."""
    debug = "--debug" in sys.argv[1:]
    if debug:
        sys.argv.remove("--debug")
    try:
        app(prog_name="territorial", standalone_mode=True)
    except SystemExit:
        raise
    except TerritorialError as exc:  # raised outside a command's own error handling
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except Exception as exc:  # noqa: BLE001 - the last line of defence, said plainly
        if debug:
            raise
        typer.echo(
            f"error: territorial stopped on an unexpected problem ({type(exc).__name__}: {exc}). Your files were not "
            "changed. Rerun the same command with --debug to see where, and report it with the input if you can.",
            err=True,
        )
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

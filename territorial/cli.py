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
from territorial._errors import InputFileError, TerritorialError
from territorial._format import fr_number
from territorial.analysis import normalise_kind
from territorial.maps import save_map, territories_map

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
    except (FileNotFoundError, InputFileError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    except TerritorialError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc


def _scheme(scheme: Path | None, code_column, territory_column, layer):
    if scheme is None:
        return _schemes.DEFAULT_SCHEME
    return _schemes.read_scheme(
        scheme, code_column=code_column, territory_column=territory_column, layer=layer
    )


@app.callback()
def _main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress to stderr.")] = False):
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


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
        (str(r["territoire"]), fr_number(r["n_communes"]), fr_number(r["population"]),
         fr_number(r["area_km2"], 1), fr_number(r["densite"], 1))
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


@app.command("run")
def run_command(
    scheme: SchemeOption = None,
    code_column: CodeColumnOption = None,
    territory_column: TerritoryColumnOption = None,
    layer: LayerOption = None,
    output_dir: Annotated[
        Path, typer.Option("--output-dir", "-o", help="Folder where maps and reports are written.")
    ] = Path("maps"),
):
    """Run the main job on the embedded default scenario and write its outputs."""
    with _user_errors():
        frame = _schemes.territories(_scheme(scheme, code_column, territory_column, layer))
        path = save_map(territories_map(frame), output_dir / "territoires.html")
    typer.echo(str(path))


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
    input: Annotated[Path, typer.Argument(help="CSV/TXT, XLSX, GeoJSON, GeoPackage, Shapefile (.shp/.zip) or FlatGeobuf.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Accepted rows: .csv (x, y in Lambert-93), .gpkg or .geojson.")],
    rejects: Annotated[Optional[Path], typer.Option("--rejects", help="Rejected rows (CSV). Default: OUTPUT's stem + _rejets.csv.")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Exit with code 1 if any row is rejected (outputs are still written).")] = False,
    scheme: SchemeOption = None,
    crs: Annotated[Optional[str], typer.Option("--crs", help="CRS of the coordinate columns, e.g. EPSG:2154 (default: WGS84 for lat/lon, inferred for x/y).")] = None,
    column: Annotated[Optional[list[str]], typer.Option("--column", help="ROLE=COLUMN override, repeatable; roles: id, code_insee, commune, code_postal, adresse, departement, latitude, longitude, x, y.")] = None,
    sep: Annotated[Optional[str], typer.Option("--sep", help="Delimiter of a text file (default: detected).")] = None,
    encoding: Annotated[Optional[str], typer.Option("--encoding", help="Encoding of a text file (default: detected).")] = None,
    layer: LayerOption = None,
    sheet: Annotated[Optional[str], typer.Option("--sheet", help="Worksheet of a spreadsheet.")] = None,
    online: Annotated[bool, typer.Option("--online", help="Also locate addresses with the national address service (BAN); off by default.")] = False,
    ban_url: Annotated[Optional[str], typer.Option("--ban-url", help="Batch CSV endpoint of the address service.")] = None,
    ban_cache: Annotated[Optional[Path], typer.Option("--ban-cache", help="Cache folder of the address service's answers.")] = None,
):
    """Geocode a file onto the communes of Nord and Pas-de-Calais; every row is accepted or rejected with its reason."""
    from territorial.export import write_points, write_table
    from territorial.geocode import GeocodeError, geocode_file

    columns = _parse_pairs(column, option="--column")
    rejects = rejects or output.with_name(f"{output.stem}_rejets.csv")
    failed = None
    with _user_errors():
        try:
            result = geocode_file(input, sep=sep, encoding=encoding, layer=layer, sheet=sheet, columns=columns,
                                  crs=crs, scheme=_scheme(scheme, None, None, None), strict=strict,
                                  online=online, ban_url=ban_url, ban_cache=ban_cache)
        except GeocodeError as exc:
            result, failed = exc.result, exc
        write_points(result.accepted, output)
        write_table(result.rejected, rejects)
    typer.echo(result.summary_text())
    typer.echo(f"acceptées : {output}")
    typer.echo(f"rejets : {rejects}")
    if failed is not None:
        typer.echo(f"error: {failed}", err=True)
        raise typer.Exit(1)


def _kind_of_file(path: Path) -> str | None:
    stem = normalise_kind(path.stem)
    for marker, kind in (("cyber", "cyber_centre"), ("mediation", "cyber_centre"), ("haut_debit", "broadband_access_point"),
                         ("acces", "broadband_access_point"), ("broadband", "broadband_access_point"),
                         ("projet", "project"), ("project", "project")):
        if marker in stem:
            return kind
    return None


def _with_kind(accepted, path: Path, position: int, n_inputs: int, kinds: list[str], kind_column: str | None):
    """The accepted rows of one input with a ``kind`` column, or a usage error saying how to give it."""
    if kinds:
        if len(kinds) not in (1, n_inputs):
            raise typer.BadParameter(f"give one --kind for all inputs or one per input ({n_inputs}), "
                                     f"got {len(kinds)}", param_hint="--kind")
        return accepted.assign(kind=normalise_kind(kinds[0] if len(kinds) == 1 else kinds[position]))
    column = kind_column or next((c for c in ("kind", "type") if c in accepted.columns), None)
    if column is not None:
        if column not in accepted.columns:
            raise typer.BadParameter(f"{path.name} has no column {column!r}", param_hint="--kind-column")
        blank = accepted[column].isna() | (accepted[column].astype(str).str.strip() == "")
        if blank.any():
            rows = ", ".join(map(str, accepted.loc[blank, "input_row"].head(10)))
            raise typer.BadParameter(f"{path.name}: rows {rows} have no kind in column {column!r}; fill them or "
                                     "pass --kind", param_hint="--kind-column")
        return accepted.assign(kind=accepted[column].map(normalise_kind))
    guessed = _kind_of_file(path)
    if guessed is None:
        raise typer.BadParameter(f"cannot tell the kind of the facilities in {path.name}: pass --kind KIND "
                                 "(e.g. cyber_centre) or --kind-column COLUMN", param_hint="--kind")
    logging.getLogger(__name__).info("%s: kind %s taken from the file name", path, guessed)
    return accepted.assign(kind=guessed)


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
    kind: Annotated[Optional[list[str]], typer.Option("--kind", help="Kind of the facilities: once for all inputs, or once per input in order.")] = None,
    kind_column: Annotated[Optional[str], typer.Option("--kind-column", help="Column holding each row's kind (default: `kind` or `type` when present).")] = None,
    radius: Annotated[Optional[list[str]], typer.Option("--radius", help="KIND=KM coverage radius, repeatable (defaults: cyber_centre=5, broadband_access_point=3, others 5).")] = None,
    scheme: SchemeOption = None,
    target: Annotated[Optional[list[str]], typer.Option("--target", help="KIND=N facilities expected over the region (default cyber_centre=200).")] = None,
    priority: Annotated[Optional[list[str]], typer.Option("--priority", help="TERRITOIRE=WEIGHT of the fair share (default 1).")] = None,
    detour: Annotated[float, typer.Option("--detour", help="Factor applied to straight-line distances.")] = 1.0,
    capacity_column: Annotated[Optional[str], typer.Option("--capacity-column", help="Facility capacity for 2SFCA (default `postes` or `capacite`).")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Exit with code 1 if any input row is rejected.")] = False,
):
    """Measure spatial balance: counts, distances, coverage, equity, fair share, hot and cold spots."""
    import geopandas as gpd
    import pandas as pd

    from territorial.analysis import analyse
    from territorial.export import write_table
    from territorial.geocode import geocode_file

    radii = {normalise_kind(k): v for k, v in _parse_numbers(radius, option="--radius").items()}
    targets = {normalise_kind(k): v for k, v in _parse_numbers(target, option="--target").items()}
    weights = _parse_numbers(priority, option="--priority")
    frames, rejected = [], 0
    with _user_errors():
        resolved = _scheme(scheme, None, None, None)
        for position, path in enumerate(inputs):
            result = geocode_file(path, scheme=resolved)
            write_table(result.rejected, output_dir / f"{path.stem}_rejets.csv")
            rejected += len(result.rejected)
            typer.echo(f"{path.name} : {len(result.accepted)} lignes acceptées, {len(result.rejected)} rejetées")
            frames.append(_with_kind(result.accepted, path, position, len(inputs), kind or [], kind_column))
        facilities = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs="EPSG:2154")
        results = analyse(facilities, radii_km=radii, scheme=resolved, targets=targets, priority=weights or None,
                          detour=detour, capacity_column=capacity_column)
        written = results.write_csv(output_dir)
    region = results.region.iloc[0]
    for k in results.kinds:
        typer.echo(f"{k} : {fr_number(region[f'n_{k}'])} équipements, "
                   f"{fr_number(100 * region[f'part_pop_couverte_{k}'], 1)} % de la population à moins de "
                   f"{fr_number(results.radii_km[k], 1)} km (mairie), distance moyenne "
                   f"{fr_number(region[f'dist_moy_{k}_km'], 1)} km")
    for path in written:
        typer.echo(str(path))
    if strict and rejected:
        typer.echo(f"error: {rejected} input rows rejected (see the *_rejets.csv files)", err=True)
        raise typer.Exit(1)


def main() -> None:
    """Entry point of the ``territorial`` console script."""
    app(prog_name="territorial")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

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


def main() -> None:
    """Entry point of the ``territorial`` console script."""
    app(prog_name="territorial")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

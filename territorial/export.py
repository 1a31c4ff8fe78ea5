"""Writing layers and tables: GeoPackage (styled for QGIS), Shapefile, GeoJSON, FlatGeobuf, CSV.

Every write goes to a temporary file in the target folder, renamed into place at the
end, so a reader never sees a half-written file and an interrupted export leaves
nothing at the target path. An existing target is replaced only when asked
(``overwrite=True``). INSEE and postal codes stay text in every format.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
import shutil
import sqlite3
import sys
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from territorial import geography, labels
from territorial._atomic import atomic_write as _atomic
from territorial._atomic import disk_full_said
from territorial._atomic import points_table as _points_table
from territorial._errors import ExistingFileError, InputFileError
from territorial._format import production_date, upper_first
from territorial.analysis import Analysis, normalise_kind
from territorial.columns import STATUS_LABELS
from territorial.kinds import project_kinds
from territorial.maps import (
    KIND_STYLES,
    checked_indicators,
    commune_breaks,
    indicator_label,
    kind_label,
    territory_breaks,
)
from territorial.styles import LayerStyle, graduated_style, qml, single_style, sld

logger = logging.getLogger(__name__)

__all__ = [
    "EXPORT_FORMATS",
    "ExistingFileError",
    "ExportLayer",
    "analysis_layers",
    "export_analysis",
    "export_layers",
    "shapefile_field_names",
    "write_analysis_tables",
    "write_points",
    "write_programme_tables",
    "write_table",
]

EXPORT_FORMATS = (".gpkg", ".shp", ".zip", ".geojson", ".fgb", ".csv")
WRITERS = {".csv", ".gpkg", ".geojson"}
GPKG_DATETIME = "%Y-%m-%dT%H:%M:%S.000Z"  # the GeoPackage DATETIME form


_FORMULA = re.compile(r"^[=+\-@\t\r]")
_NUMBER = re.compile(r"^[+-]?\d+([.,]\d+)?([eE][+-]?\d+)?$")

#: What the values of ``geocode_status`` mean, said in the layers' descriptions (QGIS shows them).
STATUS_CODES = "geocode_status : " + ", ".join(f"{code} = {label}" for code, label in STATUS_LABELS.items())


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy where text cells and column names that a spreadsheet would run as a formula (``=``, ``+``,
    ``-``, ``@``, tab or CR first) start with an apostrophe; numbers such as ``-5`` are left alone."""
    out = frame.rename(columns=lambda name: f"'{name}" if _risky(str(name)) else name)
    for column in out.columns:
        if out[column].dtype.kind in "OSU" or str(out[column].dtype).startswith(("string", "str")):
            text = out[column].astype("string")
            risky = text.str.match(_FORMULA).fillna(False) & ~text.str.match(_NUMBER).fillna(False)
            if risky.any():
                out[column] = out[column].astype(object).where(~risky, "'" + text.astype(object))
    return out


def _risky(text: str) -> bool:
    return bool(_FORMULA.match(text)) and not _NUMBER.match(text)


def write_table(frame: pd.DataFrame, path: str | Path, *, excel_fr: bool = False) -> Path:
    """Write a table as CSV (UTF-8, ``,``; with ``excel_fr`` UTF-8 with BOM and ``;``, formulas neutralised)."""
    path = Path(path)
    sep, encoding = (";", "utf-8-sig") if excel_fr else (",", "utf-8")
    table = neutralise_formulas(frame) if excel_fr else frame
    return _atomic(path, lambda tmp: table.to_csv(tmp, sep=sep, index=False, encoding=encoding))


def write_analysis_tables(analysis, folder: str | Path) -> list[Path]:
    """Write an analysis' tables as UTF-8 CSV files, and its method notes, into ``folder``."""
    folder = Path(folder)
    tables = {
        "communes.csv": pd.DataFrame(analysis.communes.drop(columns="geometry")),
        "territoires.csv": analysis.territories,
        "epci.csv": analysis.epci,
        "departements.csv": analysis.departements,
        "region.csv": analysis.region,
        "equite.csv": analysis.equity,
        "sous_desservies.csv": analysis.underserved,
        "lorenz.csv": analysis.lorenz,
        "theil_territoires.csv": analysis.theil_groups,
    }
    written = [write_table(table, folder / name) for name, table in tables.items()]
    notes = "\n".join(labels.method_notes(analysis)) + "\n"
    return [*written, _atomic(folder / "notes_methode.txt", lambda tmp: tmp.write_text(notes, encoding="utf-8"))]


def write_programme_tables(report, folder: str | Path) -> list[Path]:
    """Write programme.csv, controle_source.csv and, with projects, the project tables into ``folder``."""
    folder = Path(folder)
    written = [
        write_table(report.table, folder / "programme.csv"),
        write_table(report.source_check, folder / "controle_source.csv"),
    ]
    if report.projects is not None:
        written += [
            write_table(report.projects.projects, folder / "projets_controle.csv"),
            write_table(report.projects.violations, folder / "projets_violations.csv"),
            write_table(report.by_territory, folder / "programme_territoires.csv"),
            write_table(report.indicators, folder / "programme_indicateurs.csv"),
            write_table(report.targets, folder / "programme_cibles.csv"),
            write_table(report.trajectory, folder / "programme_trajectoire.csv"),
            write_table(report.envelopes, folder / "programme_enveloppes.csv"),
        ]
    return written


def write_points(frame: gpd.GeoDataFrame, path: str | Path, *, layer: str | None = None) -> Path:
    """Write a point layer; the format follows the extension.

    ``.csv``: the attributes plus ``x``, ``y`` in Lambert-93 (EPSG:2154); ``.gpkg``:
    EPSG:2154; ``.geojson``: EPSG:4326 (RFC 7946).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in WRITERS:
        raise InputFileError(f"cannot write {path.name}: use an output ending in {', '.join(sorted(WRITERS))}")
    if suffix == ".csv":
        return write_table(_points_table(frame), path)
    if suffix == ".geojson":
        return _atomic(path, functools.partial(_write_geojson, frame.to_crs(4326), layer=layer or path.stem))
    l93 = frame.to_crs(2154)
    _reproducible_gdal()
    return _atomic(path, lambda tmp: pyogrio.write_dataframe(l93, tmp, driver="GPKG", layer=layer or path.stem))


def _reproducible_gdal() -> None:
    """GeoPackages dated by the production day (``$SOURCE_DATE_EPOCH``'s or today), not the clock: reruns match."""
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": f"{production_date().isoformat()}T00:00:00Z"})


# --------------------------------------------------------------------------- field names

_ABBREVIATIONS = (
    ("broadband_access_point", "bap"),
    ("cyber_centre", "cc"),
    ("project", "prj"),
    ("ville_numerique", "vnum"),
    ("service_public", "spub"),
    ("etablissement_scolaire", "scol"),
    ("formation_permanente", "fprm"),
    ("telemedecine", "tmed"),
    ("transport", "trsp"),
    ("culture", "cult"),
    ("pole_tic", "ptic"),
    ("pole_image", "pimg"),
    ("action_entreprises", "aent"),
    ("part_pop_couverte_surface", "ppcs"),
    ("part_pop_couverte", "ppc"),
    ("couvert_surface", "csurf"),
    ("couvert", "cov"),
    ("pour_10000_hab", "p10k"),
    ("pour_100km2", "p100k"),
    ("dist_moy", "dmoy"),
    ("dist_med", "dmed"),
    ("dist_p90", "dp90"),
    ("acces_e2sfca", "ae2s"),
    ("acces_2sfca", "a2s"),
    ("superficie_km2", "surf_km2"),
    ("n_communes", "ncom"),
    ("population", "pop"),
    ("territoire", "terr"),
    ("departement", "dep"),
    ("attendu", "att"),
    ("geocode_", "gc_"),
    ("precision", "prec"),
    ("commune", "com"),
    ("_source", "_src"),
    ("input_row", "ligne"),
)


def shapefile_field_names(columns) -> dict[str, str]:
    """Map column names to Shapefile field names (10 characters at most), deterministically.

    The rule, applied in column order: lower-case ASCII with ``_`` for anything else;
    the abbreviations of :data:`_ABBREVIATIONS` (``cyber_centre`` -> ``cc``,
    ``broadband_access_point`` -> ``bap``, ``population`` -> ``pop``,
    ``part_pop_couverte`` -> ``ppc``...) when the name is longer than 10; then cut to
    10; a name already taken gets ``_2``, ``_3``... in place of its last characters.
    """
    mapping, taken = {}, set()
    for column in columns:
        name = unicodedata.normalize("NFKD", str(column)).encode("ascii", "ignore").decode().lower()
        name = re.sub(r"[^a-z0-9_]", "_", name)
        if len(name) > 10:
            for long, short in _ABBREVIATIONS:
                name = name.replace(long, short)
        name = name[:10] or "champ"
        candidate, number = name, 2
        while candidate in taken:
            suffix = f"_{number}"
            candidate = name[: 10 - len(suffix)] + suffix
            number += 1
        mapping[column] = candidate
        taken.add(candidate)
    return mapping


# --------------------------------------------------------------------------- layers of an analysis


@dataclass
class ExportLayer:
    """One layer to export: its frame, a description, and how QGIS draws it (None: a table)."""

    frame: pd.DataFrame
    description: str
    style: LayerStyle | None = None


def _project_layers(projects: gpd.GeoDataFrame) -> dict[str, ExportLayer]:
    """One layer per system of priority 10 its located projects fund (``projets_ville_numerique``...)."""
    systems_of = project_kinds(projects)
    return {
        f"projets_{k}": ExportLayer(
            group,
            f"Projets programmés (priorité 10) localisés : {kind_label(str(k))}, avec leurs montants en euros, "
            "violations et avertissements des règles du plan",
            single_style(
                "marker",
                KIND_STYLES.get(k, {}).get("color", "#31a354"),
                outline="#222222",
                title=f"Projets : {kind_label(str(k))}",
            ),
        )
        for k, group in projects.groupby(systems_of, sort=False)
    }


def analysis_layers(
    analysis,
    facilities: gpd.GeoDataFrame,
    *,
    rejects: pd.DataFrame | None = None,
    indicator: str | None = None,
    territory_indicator: str | None = None,
    classification: str = "quantiles",
    projects: gpd.GeoDataFrame | None = None,
    sites: gpd.GeoDataFrame | None = None,
) -> dict[str, ExportLayer]:
    """The layers of an analysis, with descriptions and styles (classes as on the HTML map)."""

    indicator, territory_indicator = checked_indicators(analysis, indicator, territory_indicator)
    communes = analysis.communes
    geometry = communes.set_index("code_insee").geometry
    territories_geometry = communes.dissolve("territoire")[["geometry"]].reset_index()
    territories = gpd.GeoDataFrame(
        analysis.territories.merge(territories_geometry, on="territoire", how="left"),
        geometry="geometry",
        crs=communes.crs,
    )
    label = indicator_label(indicator, analysis.kinds, analysis.radii_km)
    t_label = indicator_label(territory_indicator, analysis.kinds, analysis.radii_km)
    layers = {
        "communes": ExportLayer(
            communes,
            f"Communes du Nord et du Pas-de-Calais et leurs indicateurs ; style : {label}",
            graduated_style(indicator, commune_breaks(analysis, indicator, classification), title=label),
        ),
        "territoires": ExportLayer(
            territories,
            f"Territoires et leurs indicateurs agrégés ; style : {t_label}",
            graduated_style(
                territory_indicator, territory_breaks(analysis, territory_indicator, classification), title=t_label
            ),
        ),
    }
    kinds_of = facilities["kind"].map(normalise_kind)
    for k in analysis.kinds:
        colour = KIND_STYLES.get(k, {}).get("color", "#636363")
        layers[f"equipements_{k}"] = ExportLayer(
            facilities[kinds_of == k],
            f"{upper_first(kind_label(k))} géocodés (colonnes geocode_* : méthode, score, statut, remarque ; "
            f"{STATUS_CODES})",
            single_style("marker", colour, outline="#ffffff", title=kind_label(k)),
        )
    layers["zones_couverture"] = ExportLayer(
        analysis.zones,
        "Zones à moins du rayon de couverture des équipements, par type",
        single_style("fill", "#3182bd", outline="#08519c", opacity=0.25, title="Zones de couverture"),
    )
    far = analysis.underserved
    layers["communes_sous_desservies"] = ExportLayer(
        gpd.GeoDataFrame(far, geometry=geometry.reindex(far["code_insee"]).to_numpy(), crs=communes.crs),
        "Communes au-delà du rayon de couverture, par type, avec leur distance",
        single_style("fill", "#a50f15", outline="#67000d", opacity=0.5, title="Communes sous-desservies"),
    )
    if projects is not None:
        layers |= _project_layers(projects)
    if sites is not None:
        layers["sites_proposes"] = ExportLayer(
            sites,
            "Nouveaux sites proposés (couverture maximale), avec leur rang et la population qu'ils couvrent",
            single_style("marker", "#fd8d3c", outline="#000000", size=3.4, title="Sites proposés"),
        )
    if rejects is not None:
        layers["rejets"] = ExportLayer(
            rejects, f"Lignes des fichiers d'entrée rejetées au géocodage, avec le motif ; {STATUS_CODES}"
        )
    return layers


# --------------------------------------------------------------------------- writing


def _targets(path: Path, names: list[str], spatial: dict[str, bool]) -> dict[str, Path]:
    """Target file of each layer for a format (one GeoPackage, or one file per layer)."""
    suffix = path.suffix.lower()
    if suffix in (".gpkg", ".zip"):
        return dict.fromkeys(names, path)
    out = {}
    for name in names:
        ext = suffix if spatial[name] or suffix == ".csv" else ".csv"
        out[name] = path.with_name(f"{path.stem}_{name}{ext}")
    return out


def _readme_path(path: Path) -> Path:
    """``out.gpkg`` -> ``out_gpkg_LISEZMOI.txt`` (one per format, so exports side by side do not collide)."""
    return path.with_name(f"{path.stem}_{path.suffix.lower().lstrip('.')}_LISEZMOI.txt")


def _sidecar_files(path: Path, targets: dict[str, Path]) -> list[Path]:
    files = [_readme_path(path)]
    if path.suffix.lower() in (".shp", ".zip"):
        files.append(path.with_name(f"{path.stem}_champs.csv"))
    return files


def _prepare(frame: pd.DataFrame, crs, suffix: str) -> pd.DataFrame:
    """Codes as text, booleans as integers, and the wanted CRS (EPSG:4326 for GeoJSON)."""
    out = frame.copy()
    for column in out.columns:
        if column in ("code_insee", "code_postal", "epci_siren", "departement", "codes_postaux") or column.endswith(
            ("_source", "code_insee")
        ):
            out[column] = out[column].astype("string")
    if isinstance(out, gpd.GeoDataFrame):
        out = out.to_crs(4326 if suffix == ".geojson" else crs)
    return out


def export_layers(
    layers: dict[str, ExportLayer],
    path: str | Path,
    *,
    crs="EPSG:2154",
    overwrite: bool = False,
    excel_fr: bool = False,
    readme: str = "",
) -> list[Path]:
    """Write layers in the format of ``path``'s extension; return the files written.

    Parameters
    ----------
    layers : dict
        Layer name -> :class:`ExportLayer`.
    path : path
        ``.gpkg`` (all layers in one file, QGIS styles in ``layer_styles``), ``.shp``
        (one Shapefile set per layer, ``<stem>_<layer>.shp``), ``.zip`` (those sets in
        one archive), ``.geojson`` (one file per layer, EPSG:4326), ``.fgb`` (one file
        per layer), ``.csv`` (one file per layer; points carry x, y in Lambert-93).
        Tables without geometry go to ``<stem>_<layer>.csv`` where the format cannot
        hold them.
    crs : optional
        Output CRS (default Lambert-93; GeoJSON is always EPSG:4326).
    overwrite : bool
        Replace existing files; otherwise an existing target is an error and nothing is written.
    excel_fr : bool
        CSV for French Excel: ``;`` and UTF-8 with BOM.
    readme : str
        Text of the ``<stem>_<format>_LISEZMOI.txt`` sidecar (and of the GeoPackage's ``metadonnees``).

    Raises
    ------
    ExistingFileError
        If a target exists and ``overwrite`` is False (then no file is touched).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in EXPORT_FORMATS:
        raise InputFileError(f"cannot export to {path.name}: the file must end in {', '.join(EXPORT_FORMATS)}")
    spatial = {name: isinstance(layer.frame, gpd.GeoDataFrame) for name, layer in layers.items()}
    targets = _targets(path, list(layers), spatial)
    every = sorted(set(targets.values()) | set(_sidecar_files(path, targets)))
    if suffix == ".shp":
        every += [
            p.with_suffix(ext)
            for p in set(targets.values())
            if p.suffix == ".shp"
            for ext in (".shx", ".dbf", ".prj", ".cpg")
        ]
    existing = [p for p in every if p.exists()]
    if existing and not overwrite:
        raise ExistingFileError(
            f"{', '.join(str(p) for p in existing[:5])} already exist(s); choose another output or pass "
            "--overwrite (overwrite=True) to replace"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    if suffix == ".gpkg":
        written.append(_atomic(path, lambda tmp: _write_gpkg(layers, tmp, crs, readme)))
    elif suffix in (".shp", ".zip"):
        written += _write_shapefiles(layers, path, targets, crs, excel_fr)
    else:
        for name, layer in layers.items():
            target = targets[name]
            frame = _prepare(layer.frame, crs, suffix)
            if target.suffix == ".csv":
                table = (
                    _points_table(frame)
                    if spatial[name] and _all_points(frame)
                    else (pd.DataFrame(frame.drop(columns=frame.geometry.name)) if spatial[name] else frame)
                )
                written.append(write_table(table, target, excel_fr=excel_fr))
            elif suffix == ".geojson":
                written.append(_atomic(target, functools.partial(_write_geojson, frame, layer=target.stem)))
            else:
                written.append(_atomic(target, functools.partial(_write_flatgeobuf, frame, layer=target.stem)))
    written.append(_atomic(_readme_path(path), lambda tmp: tmp.write_text(readme, encoding="utf-8")))
    return written


def _all_points(frame: gpd.GeoDataFrame) -> bool:
    return bool(len(frame)) and bool((frame.geometry.geom_type == "Point").all())


def _write_gpkg(layers: dict[str, ExportLayer], tmp: Path, crs, readme: str) -> None:
    # GDAL stamps the file with the time: the production day instead, for identical files from identical runs
    _reproducible_gdal()
    for name, layer in layers.items():
        frame = _prepare(layer.frame, crs, ".gpkg")
        options = {"DESCRIPTION": layer.description, "IDENTIFIER": name}
        pyogrio.write_dataframe(frame, tmp, layer=name, driver="GPKG", append=tmp.exists(), layer_options=options)
    metadata = pd.DataFrame({"ligne": range(1, len(readme.splitlines()) + 1), "texte": readme.splitlines()})
    pyogrio.write_dataframe(
        metadata,
        tmp,
        layer="metadonnees",
        driver="GPKG",
        append=True,
        layer_options={"DESCRIPTION": "Sources, millésimes, paramètres et commande"},
    )
    _write_layer_styles(tmp, layers)


def _write_geojson(frame: gpd.GeoDataFrame, path: Path, *, layer: str) -> None:
    # the layer is named after the final file, not the temporary one: reruns give the same bytes
    pyogrio.write_dataframe(frame, path, layer=layer, driver="GeoJSON", layer_options={"RFC7946": "YES"})


def _write_flatgeobuf(frame: gpd.GeoDataFrame, path: Path, *, layer: str) -> None:
    pyogrio.write_dataframe(frame, path, layer=layer, driver="FlatGeobuf")


def _write_layer_styles(gpkg: Path, layers: dict[str, ExportLayer]) -> None:
    """Store QGIS's ``layer_styles`` table (QML and SLD, default style of each styled layer) and register it."""
    now = dt.datetime.combine(production_date(), dt.time()).strftime(GPKG_DATETIME)
    with sqlite3.connect(gpkg) as db:
        db.execute(
            "CREATE TABLE IF NOT EXISTS layer_styles (id INTEGER PRIMARY KEY AUTOINCREMENT, "
            "f_table_catalog TEXT(256), f_table_schema TEXT(256), f_table_name TEXT(256), "
            "f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT, useAsDefault BOOLEAN, "
            "description TEXT, owner TEXT(30), ui TEXT(30), update_time DATETIME DEFAULT CURRENT_TIMESTAMP)"
        )
        for name, layer in layers.items():
            if layer.style is None:
                continue
            (column,) = db.execute(
                "SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?", (name,)
            ).fetchone()
            db.execute(
                "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
                "styleName, styleQML, styleSLD, useAsDefault, description, owner, ui, update_time) "
                "VALUES ('', '', ?, ?, ?, ?, ?, 1, ?, '', NULL, ?)",
                (
                    name,
                    column,
                    name,
                    qml(layer.style),
                    sld(layer.style, name),
                    f"Style territorial : {layer.style.title or name}",
                    now,
                ),
            )
        db.execute(
            "INSERT OR REPLACE INTO gpkg_contents (table_name, data_type, identifier, description, last_change) "
            "VALUES ('layer_styles', 'attributes', 'layer_styles', 'Styles QGIS des couches', ?)",
            (now,),
        )


def _write_shapefiles(
    layers: dict[str, ExportLayer], path: Path, targets: dict[str, Path], crs, excel_fr: bool
) -> list[Path]:
    """Shapefile sets (UTF-8 .cpg, .prj) with 10-character field names, plus the name sidecar."""
    staging = Path(tempfile.mkdtemp(prefix=f".{path.stem}.", dir=path.parent))
    try:
        with disk_full_said(path.parent):
            produced = _shapefile_sets(layers, path, staging, crs, excel_fr)
        champs = produced[-1]
        if path.suffix.lower() == ".zip":
            archive = staging / path.name
            day = production_date()
            with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
                for file in produced:  # members dated by the production day, not the clock: reruns match
                    member = zipfile.ZipInfo(file.name, date_time=(day.year, day.month, day.day, 0, 0, 0))
                    member.compress_type, member.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
                    z.writestr(member, file.read_bytes())
            return [_atomic(path, lambda tmp: shutil.copyfile(archive, tmp))] + [
                _atomic(path.with_name(champs.name), lambda tmp: shutil.copyfile(champs, tmp))
            ]
        return [_atomic(path.with_name(file.name), functools.partial(shutil.copyfile, file)) for file in produced]
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _shapefile_sets(layers: dict[str, ExportLayer], path: Path, staging: Path, crs, excel_fr: bool) -> list[Path]:
    """Write each layer's Shapefile set (tables as CSV) into ``staging``; the files, the field-name table last."""
    rows, produced = [], []
    for name, layer in layers.items():
        frame = _prepare(layer.frame, crs, ".shp")
        if not isinstance(frame, gpd.GeoDataFrame):
            (neutralise_formulas(frame) if excel_fr else frame).to_csv(
                staging / f"{path.stem}_{name}.csv",
                index=False,
                sep=";" if excel_fr else ",",
                encoding="utf-8-sig" if excel_fr else "utf-8",
            )
            produced.append(staging / f"{path.stem}_{name}.csv")
            continue
        fields = shapefile_field_names([c for c in frame.columns if c != frame.geometry.name])
        rows += [
            {"couche": f"{path.stem}_{name}", "champ_shp": short, "nom_complet": full} for full, short in fields.items()
        ]
        frame = frame.rename(columns=fields)
        target = staging / f"{path.stem}_{name}.shp"
        day = production_date().isoformat()  # the .dbf header's date: the production day, so reruns match
        options = {"ENCODING": "UTF-8", "DBF_DATE_LAST_UPDATE": day}
        pyogrio.write_dataframe(frame, target, driver="ESRI Shapefile", layer_options=options)
        produced += sorted(staging.glob(f"{path.stem}_{name}.*"))
    champs = staging / f"{path.stem}_champs.csv"
    names = pd.DataFrame(rows)
    (neutralise_formulas(names) if excel_fr else names).to_csv(champs, index=False, encoding="utf-8")
    return [*produced, champs]


def export_analysis(
    analysis: Analysis,
    facilities: gpd.GeoDataFrame,
    path: str | Path,
    *,
    rejects: pd.DataFrame | None = None,
    crs: str | int = "EPSG:2154",
    overwrite: bool = False,
    excel_fr: bool = False,
    indicator: str | None = None,
    territory_indicator: str | None = None,
    classification: str = "quantiles",
    parameters: dict | None = None,
    command: str | None = None,
    projects: gpd.GeoDataFrame | None = None,
    sites: gpd.GeoDataFrame | None = None,
) -> list[Path]:
    """Export an analysis: communes, territories, facilities by kind, coverage zones, under-served communes,
    rejects, with QGIS styles (GeoPackage) and a metadata sidecar. See :func:`export_layers` for formats."""

    layers = analysis_layers(
        analysis,
        facilities,
        rejects=rejects,
        indicator=indicator,
        territory_indicator=territory_indicator,
        classification=classification,
        projects=projects,
        sites=sites,
    )
    meta = geography.metadata()
    lines = [
        "territorial — export des résultats",
        f"Produit le {production_date().strftime('%d/%m/%Y')} par : {command or ' '.join(sys.argv)}",
        f"Système de coordonnées : {crs} (GeoJSON : EPSG:4326)",
        "",
        "Couches :",
        *(f"- {name} : {layer.description}" for name, layer in layers.items()),
        "",
        "Paramètres :",
        *(f"- {k} : {v}" for k, v in (parameters or {}).items()),
        f"- rayons (km) : {analysis.radii_km}",
        "",
        "Sources et millésimes :",
        *(f"- {k} : {v}" for k, v in meta.items()),
        "",
        "Méthode :",
        *labels.method_notes(analysis)[1:],
    ]
    return export_layers(layers, path, crs=crs, overwrite=overwrite, excel_fr=excel_fr, readme="\n".join(lines) + "\n")

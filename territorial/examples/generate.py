"""Seeded generator of the example layers (« données d'exemple », not real data).

Run ``python -m territorial.examples.generate [FOLDER]`` to rewrite them (default: this
package folder). The output is deterministic: the same seed gives the same bytes.

The files imitate what planners receive, defects included: cp1252 with ``;`` and decimal
commas, names in capitals or without accents, ``St``/``(Le)`` forms, ``CEDEX``, names
of communes that have since merged, codes turned into numbers, swapped coordinates,
Lambert-93 ``X;Y`` columns, plus a few rows that must be rejected (outside the region,
unknown commune, ambiguous homonym, no location) and a duplicated identifier.
No real-world claim is made about any of them.
"""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from territorial import geography
from territorial.examples import ACCESS_FILE, CYBER_FILE, PROJECTS_FILE, WARNING

SEED = 2002
N_CYBER = 80
N_ACCESS = 150
HERE = Path(__file__).resolve().parent
TO_WGS84 = Transformer.from_crs(2154, 4326, always_xy=True)
SERVICES = ("ADSL", "Wi-Fi public", "fibre optique", "satellite", "boucle locale radio")
OPERATEURS = ("Opérateur A", "Opérateur B", "Régie C", "Syndicat D")
MERGED = (("Lomme", "59160"), ("Hellemmes-Lille", "59260"), ("Saint-Pol-sur-Mer", "59430"), ("Fort-Mardyck", "59640"))


def _point_inside(rng: np.random.Generator, polygon) -> shapely.Point:
    west, south, east, north = polygon.bounds
    while True:
        point = shapely.Point(rng.uniform(west, east), rng.uniform(south, north))
        if polygon.contains(point):
            return point


def _fr(value: float, digits: int) -> str:
    return f"{value:.{digits}f}".replace(".", ",")


def _cedex_code(rng: np.random.Generator, departement: str, known: set[str]) -> str:
    """A CEDEX-like postal code of the département that serves no commune."""
    while True:
        code = f"{departement}{int(rng.integers(0, 1000)):03d}"
        if code not in known:
            return code


def _messy_name(rng: np.random.Generator, name: str) -> str:
    """One of the ways people write a commune name."""
    roll = rng.random()
    if roll < 0.15:
        return name.upper()
    if roll < 0.25:
        return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    if roll < 0.32 and name.startswith(("Saint-", "Sainte-")):
        return name.replace("Sainte-", "Ste ").replace("Saint-", "St ")
    if roll < 0.38 and name.split(" ")[0] in ("Le", "La", "Les"):
        article, rest = name.split(" ", 1)
        return f"{rest} ({article})"
    return name


def _sample_communes(rng, communes: pd.DataFrame, n: int, exponent: float) -> pd.DataFrame:
    weights = communes["population"].to_numpy(float) ** exponent
    chosen = rng.choice(len(communes), size=n, replace=True, p=weights / weights.sum())
    return communes.iloc[np.sort(chosen)]


def cyber_centres(rng: np.random.Generator) -> pd.DataFrame:
    communes = geography.communes()
    polygons = communes.set_index("code_insee").geometry
    known = set(";".join(communes["codes_postaux"]).split(";"))
    picked = _sample_communes(rng, communes, N_CYBER - 7, 0.8)
    rows = []
    for i, c in enumerate(picked.itertuples(), start=1):
        cp = c.codes_postaux.split(";")[0]
        row = {
            "id": f"CC{i:03d}",
            "nom": f"Cyber-centre {c.nom}",
            "adresse": f"{rng.integers(1, 120)} rue de la Mairie",
            "code_postal": cp,
            "commune": _messy_name(rng, c.nom),
            "code_insee": "",
            "latitude": "",
            "longitude": "",
            "postes": str(int(rng.integers(4, 17))),
            "services": ";".join(
                sorted(rng.choice(["initiation", "accès libre", "emploi", "e-administration"], size=2, replace=False))
            ),
        }
        roll = rng.random()
        if roll < 0.40:  # precise point, decimal comma, sometimes swapped
            point = _point_inside(rng, polygons[c.code_insee])
            lon, lat = (_fr(v, 5) for v in TO_WGS84.transform(point.x, point.y))
            row["latitude"], row["longitude"] = (lon, lat) if rng.random() < 0.08 else (lat, lon)
        elif roll < 0.60:  # the code a spreadsheet turned into a float
            row["code_insee"] = f"{int(c.code_insee)}.0"
        elif roll < 0.68:  # a CEDEX postal code and name
            row["code_postal"], row["commune"] = _cedex_code(rng, cp[:2], known), f"{c.nom.upper()} CEDEX"
        rows.append(row)
    for name, cp in MERGED:  # names of communes that merged since
        rows.append(
            {
                "id": f"CC{len(rows) + 1:03d}",
                "nom": f"Espace numérique {name}",
                "adresse": "place de la Mairie",
                "code_postal": cp,
                "commune": name,
                "code_insee": "",
                "latitude": "",
                "longitude": "",
                "postes": "8",
                "services": "accès libre",
            }
        )
    defects = [
        {"nom": "Cyber-base Amiens", "code_postal": "80000", "commune": "Amiens"},  # outside the region
        {"nom": "Point numérique", "code_postal": "", "commune": "Ville-Imaginaire"},  # unknown commune
        {"nom": "Cyber-centre Saint-Aubin", "code_postal": "", "commune": "Saint-Aubin"},  # homonym in 59 and 62
        {"nom": "Espace multimédia Armentières", "code_postal": "", "commune": "Armentire"},  # typo: fuzzy
        {"nom": "Lieu sans adresse", "code_postal": "", "commune": ""},  # no location at all
        {
            "nom": "Cyber-centre (doublon d'identifiant)",
            "code_postal": "59300",
            "commune": "Valenciennes",
            "id": "CC001",
        },
    ]
    for defect in defects:
        rows.append(
            {
                "id": defect.get("id", f"CC{len(rows) + 1:03d}"),
                "adresse": "",
                "code_insee": "",
                "latitude": "",
                "longitude": "",
                "postes": "6",
                "services": "accès libre",
                **defect,
            }
        )
    frame = pd.DataFrame(rows)[
        ["id", "nom", "adresse", "code_postal", "commune", "code_insee", "latitude", "longitude", "postes", "services"]
    ]
    return frame.assign(avertissement=WARNING)


def access_points(rng: np.random.Generator) -> pd.DataFrame:
    communes = geography.communes()
    polygons = communes.set_index("code_insee").geometry
    picked = _sample_communes(rng, communes, N_ACCESS - 2, 0.6)
    rows = []
    for i, c in enumerate(picked.itertuples(), start=1):
        point = _point_inside(rng, polygons[c.code_insee])
        x, y = f"{point.x:.1f}", f"{point.y:.1f}"
        if rng.random() < 0.03:
            x, y = y, x  # swapped columns
        if rng.random() < 0.10:
            x, y = "", ""  # no coordinates: located by commune
        rows.append(
            {
                "id_site": f"PA{i:04d}",
                "operateur": OPERATEURS[int(rng.integers(len(OPERATEURS)))],
                "type_service": SERVICES[int(rng.integers(len(SERVICES)))],
                "X": x,
                "Y": y,
                "commune": c.nom,
                "code_insee": c.code_insee,
            }
        )
    rows.append(
        {
            "id_site": f"PA{len(rows) + 1:04d}",
            "operateur": OPERATEURS[0],
            "type_service": SERVICES[0],
            "X": "648000.0",
            "Y": "6980000.0",
            "commune": "",
            "code_insee": "",
        }
    )  # in the Somme
    rows.append(
        {
            "id_site": f"PA{len(rows) + 1:04d}",
            "operateur": OPERATEURS[1],
            "type_service": SERVICES[1],
            "X": "",
            "Y": "",
            "commune": "",
            "code_insee": "75056",
        }
    )  # Paris
    return pd.DataFrame(rows).assign(avertissement=WARNING)


#: Action lines of the example projects (every system of priority 10), with the partners the plan funds them with.
PROJECT_ACTIONS = {
    "43.1": ("Etat", "Région", "Département du Nord"),
    "43.2": ("Etat", "Région"),
    "43.3": ("Etat", "Région"),
    "43.4": ("Etat", "Région"),
    "44": ("Etat", "Région"),
    "45.1": ("Etat", "Région", "Département du Nord"),
    "45.2": ("Etat", "Région"),
    "46.1": ("Etat", "Région"),
    "46.2": ("Etat", "Région"),
    "46.3": ("Etat", "Région", "Département du Nord"),
    "47": ("Etat", "Région"),
    "48.1": ("Etat", "Région"),
    "48.2": ("Etat", "Région", "Département du Nord"),
    "49.1": ("Etat", "Région", "Département du Nord"),
    "49.3": ("Etat", "Région"),
}
#: Title and beneficiary of an example project, by action line (``{}``: the commune).
PROJECT_TITLES = {
    "43.1": ("Sensibilisation des PME aux TIC", "CCI de {}"),
    "43.2": ("Pôle d'entreprises TIC", "Communauté d'agglomération de {}"),
    "43.3": ("Pôle image", "Association Image de {}"),
    "43.4": ("TIC à l'export", "CCI de {}"),
    "44": ("Cyber-centre", "Commune de {}"),
    "45.1": ("Équipement multimédia du lycée", "Lycée de {}"),
    "45.2": ("Formation ouverte et à distance", "GRETA de {}"),
    "46.1": ("Point d'accès haut débit", "Commune de {}"),
    "46.2": ("Ville numérique", "Commune de {}"),
    "46.3": ("Téléprocédures et SIG", "Commune de {}"),
    "47": ("Télémédecine", "Centre hospitalier de {}"),
    "48.1": ("Transcarte", "Syndicat mixte des transports de {}"),
    "48.2": ("Information multimodale", "Syndicat mixte des transports de {}"),
    "49.1": ("Espace multimédia de la médiathèque", "Médiathèque de {}"),
    "49.3": ("Site Internet culturel", "Association culturelle de {}"),
}


def _beneficiary(action: str, commune: str) -> str:
    """The example beneficiary of an action line in a commune, with French elision (« Commune d'Arras »)."""
    template = PROJECT_TITLES.get(action, ("", "Commune de {}"))[1]
    if commune[:1].upper() in "AEIOUYÉÈÊÂÎÔŒ":
        template = template.replace("de {}", "d'{}")
    return template.format(commune)


PARTNER_COLUMNS = {
    "Etat": "etat",
    "Région": "region",
    "Département du Nord": "departement_nord",
    "Département du Pas-de-Calais": "departement_pas_de_calais",
}


def _rows_to_check(*, first: int) -> list[dict]:
    """Projects that each break one rule of the plan on purpose, numbered from ``first``."""
    broken: list[dict[str, object]] = [
        {"action": "46.7"},  # no such action line
        {"action": "46.2", "etat": 40000.0, "region": 22000.0, "autres": 38000.0},  # 62 % > 50 %
        {"action": "44", "etat": 45000.0, "region": -5000.0},  # negative amount
        {"action": "43.1", "etat": 30000.0, "region": 20000.0, "feder": 30000.0, "autres": 20000.0},  # 80 % > 75 %
        {
            "action": "45.1",
            "beneficiaire": "Lycée Gambetta",
            "departement_pas_de_calais": 30000.0,
            "etat": 10000.0,
            "region": 10000.0,
            "autres": 50000.0,
        },  # Pas-de-Calais at 30 %, not 50 % (a warning: the plan contradicts itself)
        {"action": "47", "etat": 30000.0, "region": 20000.0, "autres": 60000.0},  # more than the cost
        {"action": "146.2"},  # not 46.2
        {"action": "47", "beneficiaire": "SARL Médical Services"},  # a company on telemedicine
        {"action": "44", "date": "15/06/2009"},  # after the contract
        {"action": "43.2", "departement_nord": 10000.0, "region": 10000.0},  # the Nord has no money on 43.2
        {"action": "44", "cout_total": 0.5, "etat": 0.1, "region": 0.1, "autres": 0.3},  # francs written as euros
    ]
    rows = []
    for j, change in enumerate(broken, start=first):
        base = {
            "id": f"P{j:03d}",
            "titre": f"Projet à contrôler n° {j}",
            "commune": "Arras",
            "code_postal": "62000",
            "cout_total": 100000.0,
            "devise": "EUR",
            "etat": 20000.0,
            "region": 20000.0,
            "feder": 0.0,
            "autres": 60000.0,
            "date": "15/06/2003",
            "usagers": 100,
            "emplois": 1,
            "hommes": 50,
            "femmes": 50,
        }
        rows.append({**base, "beneficiaire": _beneficiary(str(change["action"]), "Arras"), **change})
    return rows


def projects(rng: np.random.Generator) -> pd.DataFrame:
    """About fifty funded projects of every action line; eleven break a rule on purpose, one names an unknown
    commune, one repeats an id."""
    communes = geography.communes()
    picked = _sample_communes(rng, communes, 34, 0.7)
    codes = list(PROJECT_ACTIONS)
    rows = []
    for i, c in enumerate(picked.itertuples(), start=1):
        action = codes[(i - 11) % len(codes)] if i > 10 else "44"  # every action line at least once
        partners = tuple(p for p in PROJECT_ACTIONS[action] if p != "Département du Nord" or c.departement == "59")
        cost = float(rng.integers(6, 60)) * 5000
        rate = float(rng.uniform(0.35, 0.48))
        shares = rng.dirichlet(np.ones(len(partners))) * rate
        feder = round(cost * float(rng.uniform(0.0, 0.2)), 2) if not action.startswith("43") else 0.0
        row = {
            "id": f"P{i:03d}",
            "titre": f"{PROJECT_TITLES[action][0]} — {c.nom}",
            "action": action,
            "beneficiaire": _beneficiary(action, c.nom),
            "commune": c.nom,
            "code_postal": c.codes_postaux.split(";")[0],
            "cout_total": cost,
            "devise": "EUR",
            **{PARTNER_COLUMNS[p]: round(cost * s, 2) for p, s in zip(partners, shares)},
            "feder": feder,
        }
        row["autres"] = round(cost - sum(row.get(col, 0.0) for col in PARTNER_COLUMNS.values()) - feder, 2)
        row["date"] = f"{int(rng.integers(1, 29)):02d}/{int(rng.integers(1, 13)):02d}/{int(rng.integers(2000, 2007))}"
        users = int(rng.integers(50, 2000))
        women = int(users * rng.uniform(0.35, 0.6))
        row.update(usagers=users, emplois=int(rng.integers(0, 4)), hommes=users - women, femmes=women)
        rows.append(row)
    for row in rows[::9]:  # a few rows written in millions of francs, decimal comma
        for column in ("cout_total", *PARTNER_COLUMNS.values(), "feder", "autres"):
            if column in row:
                row[column] = round(row[column] * 6.55957 / 1e6, 6)
        row["devise"] = "MF"
    rows += _rows_to_check(first=len(rows) + 1)
    rows.append({**rows[0], "id": f"P{len(rows) + 1:03d}", "commune": "Ville-Imaginaire", "code_postal": ""})
    rows.append({**rows[1]})  # the same project twice: its id repeated
    frame = pd.DataFrame(rows)
    columns = [
        "id",
        "titre",
        "action",
        "commune",
        "code_postal",
        "beneficiaire",
        "cout_total",
        "devise",
        *PARTNER_COLUMNS.values(),
        "feder",
        "autres",
        "date",
        "usagers",
        "emplois",
        "hommes",
        "femmes",
    ]
    frame = frame.reindex(columns=columns)
    money = ["cout_total", *PARTNER_COLUMNS.values(), "feder", "autres"]
    frame[money] = frame[money].apply(
        lambda col: col.map(lambda v: "" if pd.isna(v) else _fr(v, 6).rstrip("0").rstrip(","))
    )
    return frame.assign(avertissement=WARNING)


def _opening_dates(frame: pd.DataFrame) -> pd.DataFrame:
    """Opening (and a few closing) dates, from their own seed so the other columns stay as they were.

    About thirty centres open before the contract (the plan's « une trentaine » selected by 1999),
    the others 2000-2006, a few are undated, two close; dates written the ways French files write them.
    """
    rng = np.random.default_rng(SEED + 1)
    years = rng.choice(np.arange(1998, 2007), size=len(frame), p=[0.15, 0.2, 0.12, 0.12, 0.12, 0.09, 0.08, 0.06, 0.06])
    days = [f"{int(rng.integers(1, 29)):02d}/{int(rng.integers(1, 13)):02d}/{y}" for y in years]
    forms = [d if k % 3 else d[-4:] for k, d in enumerate(days)]  # every third row: the year alone
    opened = pd.Series(forms, index=frame.index)
    opened.iloc[::17] = ""  # undated
    closed = pd.Series("", index=frame.index)
    closed.iloc[[5, 40]] = ["2004-06-30", "2005-12-01"]
    return frame.assign(date_ouverture=opened, date_fermeture=closed)


def generate(folder: str | Path = HERE) -> list[Path]:
    """Write the example files into ``folder`` and return their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    cyber = folder / CYBER_FILE
    dated = _opening_dates(cyber_centres(rng))
    cyber.write_bytes(dated.to_csv(sep=";", index=False, lineterminator="\r\n").encode("cp1252"))
    access = folder / ACCESS_FILE
    access.write_bytes(access_points(rng).to_csv(sep=";", index=False, lineterminator="\n").encode("utf-8-sig"))
    funded = folder / PROJECTS_FILE
    funded.write_bytes(projects(rng).to_csv(sep=";", index=False, lineterminator="\n").encode("utf-8"))
    return [cyber, access, funded]


if __name__ == "__main__":
    for written in generate(sys.argv[1] if len(sys.argv) > 1 else HERE):
        print(written)

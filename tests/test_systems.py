"""Every system of priority 10 is a kind: loaded from a file, analysed, mapped, exported, counted against its target."""

from __future__ import annotations

import re
import sqlite3

import pandas as pd
import pyogrio
import pytest

import territorial as tl
from territorial.kinds import kind_of_action, normalise_kind, systems
from territorial.maps import KIND_STYLES
from territorial.scenario import assign_kind

#: How a user may write each system in a `type` column (one spelling per system, none the code itself).
WRITTEN = {
    "cyber_centre": "Espace public numérique",
    "broadband_access_point": "Point d'accès haut débit",
    "ville_numerique": "Ville numérique",
    "service_public": "Téléprocédure",
    "etablissement_scolaire": "Lycée",
    "formation_permanente": "Organisme de formation",
    "telemedecine": "Télémédecine",
    "transport": "Transcarte",
    "culture": "Médiathèque",
    "pole_tic": "EuraTechnologies",
    "pole_image": "Image-Union",
    "action_entreprises": "Actions entreprises",
}
COMMUNES = [
    "Lille",
    "Arras",
    "Calais",
    "Lens",
    "Maubeuge",
    "Boulogne-sur-Mer",
    "Douai",
    "Cambrai",
    "Dunkerque",
    "Valenciennes",
    "Béthune",
    "Saint-Omer",
]


def test_every_system_has_a_spelling_here_a_colour_and_a_line():
    assert set(WRITTEN) == set(systems())
    for kind, spelling in WRITTEN.items():
        assert normalise_kind(spelling) == kind, spelling
        assert KIND_STYLES[kind]["label"] == systems()[kind]["libelle"]
    colours = [KIND_STYLES[k]["color"] for k in systems()]
    assert len(set(colours)) == len(colours)  # one colour each
    lines = {line for s in systems().values() for line in s["moyens"]}
    programme = tl.load_programme()
    codes = {o["code"] for o in programme["objectifs"]} | {
        a["code"] for o in programme["objectifs"] for a in o.get("actions", [])
    }
    assert lines <= codes
    assert kind_of_action("48.3") == "transport" and kind_of_action("49.2") == "culture"
    assert kind_of_action("45") == kind_of_action("46") == "project"  # objective-wide: no one system


@pytest.fixture(scope="module")
def every_system(tmp_path_factory):
    folder = tmp_path_factory.mktemp("systems")
    rows = [
        {"nom": f"{spelling} de {commune}", "commune": commune, "type": spelling}
        for (kind, spelling), commune in zip(WRITTEN.items(), COMMUNES)
    ]
    rows.append({"nom": "Second cyber-centre de Lille", "commune": "Lille", "type": "cyber-centre"})
    path = folder / "systemes.csv"
    pd.DataFrame(rows).to_csv(path, sep=";", index=False)
    result = tl.geocode_file(path)
    assert result.rejected.empty
    facilities = assign_kind(result.accepted, kind_column="type", path=path)
    return folder, facilities, tl.analyse(facilities)


def test_every_system_is_analysed_and_mapped(every_system):
    _, facilities, analysis = every_system
    assert set(analysis.kinds) == set(systems())
    region = analysis.region.iloc[0]
    assert region["n_cyber_centre"] == 2 and region["n_telemedecine"] == 1
    page = tl.coverage_map(analysis, facilities).get_root().render()
    unescaped = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m[1], 16)), page)  # JSON escapes of the layer control
    for kind, system in systems().items():
        assert KIND_STYLES[kind]["color"] in page, kind
        assert f'id="legende-{kind}"' in page, kind
        name = f"{system['libelle'][:1].upper()}{system['libelle'][1:]} ("
        assert name.replace("'", "&#39;") in unescaped, kind


def test_every_system_is_exported_with_its_style(every_system):
    folder, facilities, analysis = every_system
    gpkg = folder / "systemes.gpkg"
    tl.export_analysis(analysis, facilities, gpkg)
    layers = dict(pyogrio.list_layers(gpkg))
    with sqlite3.connect(gpkg) as db:
        styles = dict(db.execute("SELECT f_table_name, styleQML FROM layer_styles").fetchall())
    for kind in systems():
        layer = f"equipements_{kind}"
        assert layers.get(layer) == "Point", layer
        colour = KIND_STYLES[kind]["color"].lstrip("#")
        rgb = ",".join(str(int(colour[i : i + 2], 16)) for i in (0, 2, 4))
        assert rgb in styles[layer], layer


def test_every_system_is_counted_against_its_target(every_system):
    _, facilities, _ = every_system
    projects = pd.DataFrame(
        {
            "id": ["A", "B"],
            "action": ["44", "47"],
            "code_insee": [facilities.loc[facilities["kind"] == "cyber_centre", "code_insee"].iloc[0], "62041"],
            "cout_total": ["100000", "100000"],
            "etat": ["20000", "20000"],
            "region": ["20000", "20000"],
            "date": ["2001", "2004"],
        }
    )
    checked = tl.check_projects(projects).projects
    counted = tl.programme.target_progress(checked, places=facilities[["kind", "code_insee"]]).set_index("kind")
    assert list(counted.index[: len(systems())]) == list(systems())
    # the Lille project is one of the two Lille cyber-centres: still two
    assert counted.loc["cyber_centre", "realise"] == 2 and counted.loc["cyber_centre", "valeur_cible"] == 200
    assert counted.loc["cyber_centre", "projets_a_echeance"] == 1
    # the plan counts new telemedicine services, not places: the one retained project
    assert counted.loc["telemedecine", "realise"] == 1
    assert counted.loc["telemedecine", "definition"] == "projets retenus (47)"
    for kind, system in systems().items():
        if system["compte"] == "projets":
            assert counted.loc[kind, "realise"] == counted.loc[kind, "projets"], kind
        else:  # places or communes: every system has one place in the file
            assert counted.loc[kind, "realise"] >= 1, kind

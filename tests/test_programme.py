"""The programme ledger: data against the seed, source validation, project checks, aggregation, CLI."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import territorial
from territorial import labels
from territorial import programme as prog
from territorial.cli import app
from territorial.examples import PROJECTS_FILE, example_path

runner = CliRunner()
SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "cper-npdc-priorite-10-societe-information.md"


def seed_text() -> str:
    if not SEED.is_file():
        pytest.skip(f"the seed text is not beside the project ({SEED}); CI lays shared/ beside the clone")
    return SEED.read_text(encoding="utf-8")


def transcribed_pairs(data: dict) -> list[tuple[float, float]]:
    pairs = []
    for objective in data["objectifs"]:
        for node in (objective, *objective.get("actions", [])):
            for key in ("tableau", "texte", "dont"):
                pairs += [(a["mf"], a["meur"]) for a in node.get(key, []) if "mf" in a and "meur" in a]
    return pairs


def test_every_amount_of_the_seed_is_transcribed():
    in_seed = Counter(prog.amounts_in_text(seed_text()))
    data = prog.load_programme()
    # the seed repeats the objective 49 Nord amount once; the data holds it on the objective and on 49.1
    assert Counter(transcribed_pairs(data)) - in_seed == Counter({(7.0, 1.0671): 1})
    assert in_seed - Counter(transcribed_pairs(data)) == Counter()


def test_every_conversion_in_the_seed_is_right():
    for mf, meur in prog.amounts_in_text(seed_text()):
        assert round(mf / 6.55957, 4) == pytest.approx(meur, abs=5e-5)


@pytest.mark.parametrize(
    ("objective", "partner", "mf", "meur"),
    [
        ("43", "Etat", 102, 15.5498),
        ("43", "Région", 86, 13.1106),
        ("43", "Département du Nord", 2.9, 0.4421),
        ("44", "Etat", 10, 1.5245),
        ("45", "Etat", 144, 21.9527),
        ("45", "Région", 90.5, 13.7966),
        ("45", "Département du Nord", 30, 4.5735),
        ("46", "Département du Pas-de-Calais", 12, 1.8294),
        ("47", "Région", 14, 2.1343),
        ("48", "Département du Nord", 5, 0.7622),
        ("49", "Etat", 7, 1.0671),
    ],
)
def test_objective_totals_equal_the_seed(objective, partner, mf, meur):
    table = prog.programme_table()
    row = table[(table["objectif"] == objective) & (table["action"] == "") & (table["partenaire"] == partner)]
    assert row["montant_mf"].tolist() == [mf] and row["montant_meur"].tolist() == [meur]


def test_programme_structure():
    data = prog.load_programme()
    assert [o["code"] for o in data["objectifs"]] == ["43", "44", "45", "46", "47", "48", "49"]
    actions = [a["code"] for o in data["objectifs"] for a in o.get("actions", [])]
    assert actions == [
        "43.1",
        "43.2",
        "43.3",
        "43.4",
        "45.1",
        "45.2",
        "46.1",
        "46.2",
        "46.3",
        "48.1",
        "48.2",
        "48.3",
        "48.4",
        "48.5",
        "49.1",
        "49.2",
        "49.3",
        "49.4",
    ]
    targets = {t["code"]: t["valeur"] for t in data["cibles"]}
    assert targets == {"cyber_centres": 200, "emplois_animateurs": 300}
    objective = {o["code"]: o for o in data["objectifs"]}
    assert objective["43"]["taux"]["max_cumule"] == 75
    assert objective["45"]["taux"]["partenaire_taux"] == {"Département du Pas-de-Calais": 50}
    assert "Bassin Minier" in objective["44"]["territorial"] and "EuraTechnologies" in objective["43"]["territorial"]
    assert objective["46"]["indicateurs_resultat"] == [
        "Nombre de points d'accès aux services haut débit par type de services"
    ]


def test_the_real_source_has_only_omissions():
    findings = prog.validate_source()
    assert set(findings["type"]) == {"omission"}
    messages = " | ".join(findings["message"])
    assert "20,00 MF sans montant en M€" in messages  # Pas-de-Calais in objective 45
    for code in ("47", "48", "49"):
        assert f"l'objectif {code} ne figure pas au tableau récapitulatif" in messages
    assert "0,3049 M€ sans montant en MF" in messages


def altered(path: list, key: str, value):
    data = prog.load_programme()
    node = data
    for step in path:
        node = node[step]
    node[key] = value
    return data


def test_a_wrong_conversion_is_found_with_its_place():
    data = altered(["objectifs", 0, "texte", 0], "meur", 15.5598)
    findings = prog.validate_source(data)
    wrong = findings[findings["type"] == "conversion"]
    assert len(wrong) == 1 and wrong.iloc[0]["ou"] == "objectif 43, PARTENARIAT ET FINANCEMENT"
    assert "102,00 MF = 15,5498 M€" in wrong.iloc[0]["message"]


def test_an_action_that_does_not_add_up_is_found():
    data = prog.load_programme()
    action = data["objectifs"][0]["actions"][0]  # 43.1
    action["texte"][0] = {**action["texte"][0], "mf": 9, "meur": 1.3720}
    findings = prog.validate_source(data)
    assert "102,00 MF au total mais 103,00 MF pour la somme des moyens d'action" in " ".join(findings["message"])
    assert "8,00 MF au tableau mais 9,00 MF dans le texte" in " ".join(findings["message"])
    assert set(findings["type"]) >= {"somme", "doublon"}


def test_a_missing_table_row_is_an_omission():
    data = prog.load_programme()
    data["objectifs"][2]["tableau"] = data["objectifs"][2]["tableau"][:-1]
    findings = prog.validate_source(data)
    assert "objectif 45 : montant donné dans le texte mais pas au tableau" in " ".join(findings["message"])


def project(**values) -> pd.DataFrame:
    base = {
        "id": "T1",
        "action": "46.2",
        "cout_total": "100000",
        "etat": "20000",
        "region": "20000",
        "feder": "0",
        "autres": "60000",
        "date": "01/02/2003",
    }
    return pd.DataFrame([{**base, **values}])


@pytest.mark.parametrize(
    ("values", "rule", "fragment"),
    [
        ({}, None, None),
        ({"action": "46.9"}, "action", "l'action « 46.9 » n'existe pas"),
        ({"etat": "40000", "autres": "40000"}, "taux", "60,0 % au-dessus du maximum de 50 %"),
        ({"etat": "5000", "region": "5000", "autres": "90000"}, "taux", "10,0 % sous le minimum de 20 %"),
        (
            {"action": "43.4", "etat": "10000", "region": "15000", "autres": "75000"},
            "taux",
            "25,0 % sous le minimum de 30 % du moyen d'action 43.4",
        ),
        ({"action": "43.1", "feder": "40000", "autres": "20000"}, "plafond", "80,0 % au-dessus du plafond de 75 %"),
        (
            {"action": "45.1", "departement_pas_de_calais": "10000", "autres": "50000"},
            "taux",
            "Département du Pas-de-Calais intervient à hauteur de 50 %",
        ),
        (
            {"action": "47", "departement_nord": "1000", "autres": "59000"},
            "enveloppe",
            "Département du Nord n'a pas d'enveloppe pour l'objectif 47",
        ),
        ({"region": "-1000", "autres": "81000"}, "montant", "montant négatif pour Région"),
        ({"autres": "70000"}, "somme", "dépassent le coût total"),
        ({"autres": "50000"}, "somme", "ne font pas le coût total"),
        ({"devise": "USD"}, "devise", "devise « USD » inconnue"),
        ({"cout_total": ""}, "montant", "coût total absent"),
        (
            {"etat": "3500000", "region": "0", "autres": "4500000", "cout_total": "8000000"},
            "enveloppe",
            "dépasse son enveloppe du moyen d'action 46.2",
        ),
    ],
)
def test_project_rules(values, rule, fragment):
    checked = prog.check_projects(project(**values))
    assert len(checked.projects) == 1
    if rule is None:
        assert checked.violations.empty
        return
    assert rule in set(checked.violations["regle"])
    assert fragment in " ".join(checked.violations["message"])


def test_amounts_in_millions_of_francs():
    row = project(devise="MF", cout_total="0,655957", etat="0,131191", region="0,131191", autres="0,393575")
    checked = prog.check_projects(row)
    assert checked.violations.empty
    assert checked.projects["cout_total_eur"].iloc[0] == pytest.approx(100_000, abs=0.01)
    assert checked.projects["taux_partenaires"].iloc[0] == pytest.approx(0.4, abs=1e-4)


def test_example_projects_one_line_per_violation_and_every_row_kept(tmp_path):
    report = territorial.programme_from_file(example_path(PROJECTS_FILE))
    checked = report.projects
    raw = pd.read_csv(example_path(PROJECTS_FILE), sep=";", dtype=str)
    assert len(checked.projects) == len(raw)  # nothing dropped
    assert checked.projects["id"].tolist() == raw["id"].tolist()
    assert len(labels.violation_lines(checked)) == len(checked.violations) == 7
    assert checked.violations["regle"].value_counts().to_dict() == {
        "action": 1,
        "taux": 2,
        "montant": 1,
        "plafond": 1,
        "somme": 1,
        "localisation": 1,
    }
    # the sums by territory are the located, valid projects' amounts
    usable = checked.projects[(checked.projects["objectif"] != "") & checked.projects["territoire"].notna()]
    assert report.by_territory["montant_meur"].sum() == pytest.approx(
        usable[["etat_eur", "region_eur", "departement_nord_eur", "departement_pas_de_calais_eur", "feder_eur"]]
        .sum()
        .sum()
        / 1e6,
        rel=1e-6,
    )
    population = report.by_territory["montant_meur"] / report.by_territory["montant_meur_par_hab"]
    assert population.dropna().between(2e5, 1.3e6).all()
    targets = report.targets.set_index("cible")
    assert targets["valeur_cible"].tolist() == [200, 300]
    assert set(report.indicators["indicateur"]) == {"usagers", "emplois", "hommes", "femmes"}


def test_programme_cli_contract(tmp_path):
    result = runner.invoke(app, ["programme", "--projects", str(example_path(PROJECTS_FILE)), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "102,0 (15,5498)" in result.output and "projet P036 (ligne 36) : taux" in result.output
    table = pd.read_csv(tmp_path / "programme.csv", dtype={"objectif": str, "action": str})
    assert list(table.columns[:5]) == ["objectif", "action", "partenaire", "montant_mf", "montant_meur"]
    totals = table[table["action"].isna()]
    assert set(totals["objectif"]) == {"43", "44", "45", "46", "47", "48", "49"}
    assert (tmp_path / "controle_source.csv").is_file()
    checked = pd.read_csv(tmp_path / "projets_controle.csv", dtype=str)
    assert len(checked) == 41 and {"violations", "n_violations"} <= set(checked.columns)
    territories = pd.read_csv(tmp_path / "programme_territoires.csv")
    assert list(territories.columns[:5]) == [
        "territoire",
        "objectif",
        "partenaire",
        "montant_meur",
        "montant_meur_par_hab",
    ]
    plain = runner.invoke(app, ["programme"])
    assert plain.exit_code == 0 and "Contrôle de la source : 11 constat(s)" in plain.output


def test_a_programme_with_a_bad_key_or_amount_is_refused_by_name():
    programme = territorial.load_programme()
    programme["objectifs"][0]["tableau"][0]["montant"] = 3
    del programme["objectifs"][1]["texte"][0]["mf"], programme["objectifs"][1]["texte"][0]["meur"]
    with pytest.raises(territorial.InputFileError) as caught:
        prog.programme_table(programme)
    message = str(caught.value)
    assert "unknown key(s) ['montant'] in objectif 1 → tableau 1" in message
    assert "objectif 2 → texte 1: gives no amount" in message

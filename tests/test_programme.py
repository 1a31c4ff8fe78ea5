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
from territorial._errors import ArgumentError
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


def test_the_real_source_has_omissions_and_its_two_tensions():
    findings = prog.validate_source()
    assert set(findings["type"]) == {"omission", "incohérence"}
    messages = " | ".join(findings["message"])
    assert "20,00 MF sans montant en M€" in messages  # Pas-de-Calais in objective 45
    for code in ("47", "48", "49"):
        assert f"l'objectif {code} ne figure pas au tableau récapitulatif" in messages
    assert "0,3049 M€ sans montant en MF" in messages
    tensions = findings[findings["type"] == "incohérence"].set_index("objectif")
    assert list(tensions.index) == ["45", "48"]
    # both lines of the plan, word for word
    assert "« Mini 20% Maxi 50%. »" in tensions.loc["45", "message"]
    assert "le Département du Pas-de-Calais interviendra à hauteur de 50 %" in tensions.loc["45", "message"]
    assert "45.1 compte 4 partenaires" in tensions.loc["45", "message"]
    assert tensions.loc["48", "partenaire"] == "Département du Nord"
    assert "0,3049 M€ font 2,00 MF" in tensions.loc["48", "message"]
    assert "[moyen d'action 48-2 (0,3049 M€)]" in tensions.loc["48", "message"]


def test_a_fixed_rate_below_the_maximum_is_no_tension():
    data = prog.load_programme()
    data["objectifs"][2]["taux"]["partenaire_taux"] = {"Département du Pas-de-Calais": 25}
    findings = prog.validate_source(data)
    assert findings[findings["type"] == "incohérence"]["objectif"].tolist() == ["48"]
    # and the project rule is then firm: a violation
    row = project(action="45.1", departement_pas_de_calais="10000", autres="50000")
    checked = prog.check_projects(row, data)
    assert checked.violations.set_index("regle").loc["taux_partenaire", "gravite"] == "violation"


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
    ("values", "rule", "severity", "fragment"),
    [
        ({}, None, None, None),
        ({"action": "46.9"}, "action", "violation", "l'action « 46.9 » n'est pas un moyen d'action"),
        ({"action": "146.2"}, "action", "violation", "l'action « 146.2 » n'est pas un moyen d'action"),
        ({"action": "43.12"}, "action", "violation", "l'action « 43.12 » n'est pas un moyen d'action"),
        ({"action": ""}, "action", "violation", "l'action « (vide) » n'est pas un moyen d'action"),
        ({"etat": "40000", "autres": "40000"}, "taux", "violation", "60,0 % au-dessus du maximum de 50 %"),
        ({"etat": "5000", "region": "5000", "autres": "90000"}, "taux", "violation", "10,0 % sous le minimum de 20 %"),
        (
            {"action": "43.4", "etat": "10000", "region": "15000", "autres": "75000"},
            "taux",
            "violation",
            "25,0 % sous le minimum de 30 % du moyen d'action 43.4",
        ),
        (
            {"action": "43,4", "etat": "10000", "region": "15000", "autres": "75000"},
            "taux",
            "violation",
            "25,0 % sous le minimum de 30 % du moyen d'action 43.4",
        ),
        (
            {"action": "43.1", "feder": "40000", "autres": "20000"},
            "plafond",
            "violation",
            "80,0 % au-dessus du plafond de 75 %",
        ),
        (
            {"action": "45.1", "departement_pas_de_calais": "10000", "autres": "50000"},
            "taux_partenaire",
            "avertissement",
            "Département du Pas-de-Calais intervient à hauteur de 50 %",
        ),
        (
            {"action": "47", "departement_nord": "1000", "autres": "59000"},
            "enveloppe",
            "violation",
            "Département du Nord n'a pas d'enveloppe pour l'objectif 47",
        ),
        (
            {"action": "43.2", "departement_nord": "1000", "autres": "59000"},
            "enveloppe",
            "violation",
            "Département du Nord n'a pas de crédits sur le moyen d'action 43.2",
        ),
        (
            {"action": "49.3", "departement_nord": "1000", "autres": "59000"},
            "enveloppe",
            "violation",
            "Département du Nord n'a pas de crédits sur le moyen d'action 49.3",
        ),
        (
            {"action": "46.2", "departement_pas_de_calais": "1000", "autres": "59000"},
            "enveloppe",
            "violation",
            "Département du Pas-de-Calais n'a pas de crédits sur le moyen d'action 46.2",
        ),
        (
            {"action": "45.2", "departement_pas_de_calais": "50000", "etat": "0", "region": "0", "autres": "50000"},
            "enveloppe",
            "violation",
            "Département du Pas-de-Calais n'a pas de crédits sur le moyen d'action 45.2",
        ),
        (
            {"action": "48.3", "departement_pas_de_calais": "1000", "autres": "59000"},
            "enveloppe",
            "violation",
            "au(x) moyen(s) d'action 48.1, 48.2, pas au 48.3",
        ),
        (
            {"action": "48.1", "departement_nord": "1000", "autres": "59000"},
            "enveloppe",
            "avertissement",
            "le plan se contredit sur ce point",
        ),
        ({"region": "-1000", "autres": "81000"}, "montant", "violation", "montant négatif pour Région"),
        ({"autres": "70000"}, "somme", "violation", "dépassent le coût total"),
        ({"autres": "50000"}, "somme", "violation", "ne font pas le coût total"),
        ({"devise": "USD"}, "devise", "violation", "devise « USD » inconnue"),
        ({"cout_total": ""}, "montant", "violation", "coût total absent"),
        (
            {"cout_total": "0,5", "etat": "0,1", "region": "0,1", "autres": "0,3"},
            "plausibilite",
            "violation",
            "coût « 0,5 » (EUR, soit 0,50 €) invraisemblable",
        ),
        (
            {"devise": "MF", "cout_total": "100000", "etat": "20000", "region": "20000", "autres": "60000"},
            "plausibilite",
            "violation",
            "des euros écrits en millions de francs",
        ),
        ({"action": "48.1 et 48.2"}, "action", "violation", "l'action « 48.1 et 48.2 » n'est pas"),
        ({"action": "44/45"}, "action", "violation", "l'action « 44/45 » n'est pas"),
        ({"cout_total": "-100000"}, "montant", "violation", "coût total « -100000 » négatif ou nul"),
        ({"cout_total": "cent mille"}, "montant", "violation", "coût total « cent mille » illisible"),
        ({"etat": "20.000,00 €"}, None, None, None),
        ({"etat": "vingt mille"}, "montant", "violation", "montant de Etat illisible : « vingt mille »"),
        (
            {"devise": "FRF", "cout_total": "655957", "etat": "131191,4", "region": "131191,4", "autres": "393574,2"},
            None,
            None,
            None,
        ),
        ({"devise": "k€", "cout_total": "100", "etat": "20", "region": "20", "autres": "60"}, None, None, None),
        ({"devise": ""}, None, None, None),
        (
            {"action": "45.1", "departement_pas_de_calais": "50000", "autres": "10000"},
            "taux",
            "avertissement",
            "avec le Département du Pas-de-Calais à son taux fixé par le plan",
        ),
        ({"action": "46.3", "beneficiaire": "CCI Grand Lille"}, None, None, None),
        ({"action": "44", "beneficiaire": "Conseil général du Nord"}, "beneficiaire", "violation", "départements"),
        (
            {"action": "46.1", "beneficiaire": "Association Festival de Lille"},
            "beneficiaire",
            "violation",
            "associations",
        ),
        ({"date": "2006-12-31 14:00"}, None, None, None),
        ({"date": "juin 2003"}, None, None, None),
        ({"date": "T2 2003"}, "date", "avertissement", "date « T2 2003 » illisible"),
        ({"date": "15/06/2009"}, "date", "violation", "hors de la période du contrat de plan (2000-2006)"),
        ({"date": "1999"}, "date", "violation", "hors de la période"),
        ({"date": "bientôt"}, "date", "avertissement", "date « bientôt » illisible"),
        ({"action": "47", "beneficiaire": "SARL Médical Services"}, "beneficiaire", "violation", "(entreprises)"),
        ({"action": "44", "beneficiaire": "Les Amis du Web"}, "beneficiaire", "avertissement", "non reconnu"),
        (
            {"action": "43.1", "beneficiaire": "SA Grande Industrie", "effectif": "1200"},
            "beneficiaire",
            "violation",
            "compte 1\u202f200 salariés",
        ),
        (
            {"action": "46.1", "type_beneficiaire": "organisme_tourisme"},
            None,
            None,
            None,
        ),
        (
            {"etat": "3500000", "region": "0", "autres": "4500000", "cout_total": "8000000"},
            "enveloppe",
            "violation",
            "a programmé 3,5000 M€ sur le moyen d'action 46.2 pour une enveloppe de 3,0490 M€",
        ),
    ],
)
def test_project_rules(values, rule, severity, fragment):
    checked = prog.check_projects(project(**values))
    assert len(checked.projects) == 1
    if rule is None:
        assert checked.violations.empty, checked.violations["message"].tolist()
        return
    found = checked.violations[checked.violations["regle"] == rule]
    assert not found.empty, checked.violations["message"].tolist()
    assert fragment in " ".join(found["message"])
    assert set(found["gravite"]) == {severity}


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("43,4", "43.4"),
        ("43-4", "43.4"),
        ("Objectif 44", "44"),
        ("moyen d'action 46.2", "46.2"),
        ("44 - Cyber-centres", "44"),
        (44.0, "44"),
        ("146.2", "146.2"),
        ("43.12", "43.12"),
        ("4", "4"),
        ("46.2b", "46.2b"),
        (None, ""),
    ],
)
def test_action_codes_are_read_strictly(written, code):
    assert prog.action_code(written) == code


def test_indicative_and_case_by_case_envelopes_warn_firm_ones_violate():
    # 43.3 Etat: 1,5245 M€, split « à titre indicatif »; 46.1 Pas-de-Calais: 7 MF « et au-delà au cas par cas »;
    # 46.3 Nord: 1,8 MF, firm. Each project is programmed beyond its envelope, then one more after it.
    rows = pd.DataFrame(
        [
            {
                "id": "A1",
                "action": "43.3",
                "cout_total": "4000000",
                "etat": "1600000",
                "autres": "2400000",
                "date": "2001",
            },
            {"id": "A2", "action": "43.3", "cout_total": "100000", "etat": "20000", "autres": "80000", "date": "2002"},
            {
                "id": "B1",
                "action": "46.1",
                "cout_total": "3000000",
                "departement_pas_de_calais": "1100000",
                "autres": "1900000",
                "date": "2001",
            },
            {
                "id": "C1",
                "action": "46.3",
                "cout_total": "1000000",
                "departement_nord": "300000",
                "autres": "700000",
                "date": "2001",
            },
            {
                "id": "C2",
                "action": "46.3",
                "cout_total": "100000",
                "departement_nord": "20000",
                "autres": "80000",
                "date": "2003",
            },
        ]
    )
    found = prog.check_projects(rows).violations
    envelope = found[found["regle"] == "enveloppe"]
    by_id = envelope.groupby("id")["gravite"].agg(set).to_dict()
    assert by_id == {
        "A1": {"avertissement"},
        "A2": {"avertissement"},
        "B1": {"avertissement"},
        "C1": {"violation"},
        "C2": {"violation"},
    }


def test_blank_ids_are_no_repeats():
    rows = pd.concat([project(id=""), project(id=None), project(id="  ")], ignore_index=True)
    checked = prog.check_projects(rows)
    assert checked.violations.empty and checked.projects["retenu"].all()


def test_a_file_without_cost_action_or_partner_is_refused_by_name():
    with pytest.raises(territorial.InputFileError, match="no column for the total cost.*a contract partner"):
        prog.check_projects(pd.DataFrame({"id": ["A"], "action": ["44"], "commune": ["Arras"]}))


def test_untrusted_amounts_are_not_counted_and_do_not_flood_the_envelopes():
    flood = project(devise="MF", cout_total="500000", etat="100000", region="100000", autres="300000", date="2000")
    later = project(id="T2", date="2001")
    checked = prog.check_projects(pd.concat([flood, later], ignore_index=True))
    assert checked.projects["retenu"].tolist() == [False, True]
    assert checked.projects["exclusion"].iloc[0] == "montant invraisemblable"
    assert set(checked.violations["id"]) == {"T1"}  # the later, sound project is not blamed for an overrun


def test_a_repeated_id_is_flagged_once_and_counted_once():
    rows = pd.concat([project(), project(), project(id="T2")], ignore_index=True)
    checked = prog.check_projects(rows)
    assert checked.violations[["input_row", "regle", "gravite"]].values.tolist() == [[2, "doublon", "violation"]]
    assert checked.projects["retenu"].tolist() == [True, False, True]
    balance = prog.envelope_balance(checked.projects)
    line = balance[(balance["ligne"] == "46.2") & (balance["partenaire"] == "Etat")].iloc[0]
    assert line["programme_meur"] == pytest.approx(0.04)  # two projects of 20 000 €, not three
    assert line["reste_meur"] == pytest.approx(3.049 - 0.04)


def test_the_departement_rule_is_local_policy_and_opt_in():
    row = project(action="46.3", departement_nord="10000", autres="50000").assign(departement="62")
    assert prog.check_projects(row).violations.empty
    local = prog.check_projects(row, local_rules=("departement",)).violations
    assert local[["regle", "gravite"]].values.tolist() == [["politique_locale_departement", "avertissement"]]
    assert local["message"].iloc[0].startswith("politique locale (hors plan)")
    with pytest.raises(ArgumentError, match="unknown rule"):
        prog.check_projects(row, local_rules=("voisinage",))


def test_amounts_in_millions_of_francs():
    row = project(devise="MF", cout_total="0,655957", etat="0,131191", region="0,131191", autres="0,393575")
    checked = prog.check_projects(row)
    assert checked.violations.empty
    assert checked.projects["cout_total_eur"].iloc[0] == pytest.approx(100_000, abs=0.01)
    assert checked.projects["taux_partenaires"].iloc[0] == pytest.approx(0.4, abs=1e-4)


def test_example_projects_one_line_per_finding_and_every_row_kept(tmp_path):
    report = territorial.programme_from_file(example_path(PROJECTS_FILE))
    checked = report.projects
    raw = pd.read_csv(example_path(PROJECTS_FILE), sep=";", dtype=str)
    assert len(checked.projects) == len(raw)  # nothing dropped
    assert checked.projects["id"].tolist() == raw["id"].tolist()
    assert len(labels.violation_lines(checked)) == len(checked.violations) == 13
    assert checked.violations.groupby(["regle", "gravite"]).size().to_dict() == {
        ("action", "violation"): 2,
        ("beneficiaire", "violation"): 1,
        ("date", "violation"): 1,
        ("doublon", "violation"): 1,
        ("enveloppe", "violation"): 1,
        ("localisation", "avertissement"): 1,
        ("montant", "violation"): 1,
        ("plafond", "violation"): 1,
        ("plausibilite", "violation"): 1,
        ("somme", "violation"): 1,
        ("taux", "violation"): 1,
        ("taux_partenaire", "avertissement"): 1,
    }
    # the clean projects give nothing: every finding is on a row made to break a rule
    flagged = set(checked.violations["id"])
    made_to_break = set(raw.loc[raw["titre"].str.startswith("Projet à contrôler"), "id"]) | {"P046", "P002"}
    assert flagged <= made_to_break
    # the sums by territory are the retained projects' amounts
    usable = checked.projects[checked.projects["retenu"] & checked.projects["territoire"].notna()]
    assert report.by_territory["montant_meur"].sum() == pytest.approx(
        usable[["etat_eur", "region_eur", "departement_nord_eur", "departement_pas_de_calais_eur", "feder_eur"]]
        .sum()
        .sum()
        / 1e6,
        rel=1e-6,
    )
    population = report.by_territory["montant_meur"] / report.by_territory["montant_meur_par_hab"]
    assert population.dropna().between(2e5, 1.3e6).all()
    assert set(report.indicators["indicateur"]) == {"usagers", "emplois", "hommes", "femmes"}


def test_every_system_is_counted_against_its_target():
    report = territorial.programme_from_file(example_path(PROJECTS_FILE))
    projects = report.projects.projects
    targets = report.targets.set_index("kind")
    systems = territorial.kinds.systems()
    assert list(targets.index[: len(systems)]) == list(systems)
    retained = projects[projects["retenu"]]
    for kind in systems:
        assert targets.loc[kind, "projets"] == (retained["kind"] == kind).sum() > 0, kind
    cyber = targets.loc["cyber_centre"]
    assert cyber["valeur_cible"] == 200 and cyber["echeance"] == "fin 2002"
    dated = pd.to_datetime(retained.loc[retained["kind"] == "cyber_centre", "date_projet"])
    assert cyber["projets_a_echeance"] == (dated <= "2002-12-31").sum() < cyber["projets"]
    # the project dated 2009 and the repeated id count nowhere
    assert "P043" not in set(retained["id"]) and (retained["id"] == "P002").sum() == 1
    assert targets.loc["ville_numerique", "valeur_cible"] != targets.loc["ville_numerique", "valeur_cible"]  # NaN
    assert targets.loc["ville_numerique", "definition"] == "communes distinctes des projets retenus (46.2)"


def test_the_cyber_centre_count_is_reconciled_with_the_facility_layer():
    report = territorial.programme_from_file(example_path(PROJECTS_FILE))
    retained = report.projects.projects.query("retenu and kind == 'cyber_centre'")
    communes = retained["code_insee"].tolist()
    assert retained["beneficiaire"].str.startswith("Commune").all()  # funded to their commune: one place each
    # two places listed in the first project's commune, one elsewhere
    places = pd.DataFrame({"kind": "cyber_centre", "code_insee": [communes[0], communes[0], "59350"]})
    reconciled = prog.target_progress(report.projects.projects, places=places).set_index("kind")
    elsewhere = 0 if "59350" in communes else 1
    assert reconciled.loc["cyber_centre", "realise"] == len(set(communes)) - 1 + 2 + elsewhere
    assert reconciled.loc["cyber_centre", "equipements"] == 3
    assert "par commune, le plus grand des deux nombres" in reconciled.loc["cyber_centre", "definition"]
    # a system with no file of its kind is counted from its projects, and says so
    assert reconciled.loc["telemedecine", "equipements"] != reconciled.loc["telemedecine", "equipements"]  # NaN
    assert reconciled.loc["telemedecine", "definition"] == "projets retenus (47)"


def test_places_are_counted_once_per_site_and_cities_once():
    rows = pd.DataFrame(
        {
            "id": ["A", "B", "C", "D", "E"],
            "action": ["44", "44", "44", "46.2", "46.2"],
            "code_insee": ["59299", "59299", "59299", "59350", "59350"],
            "beneficiaire": ["Commune de Hem", "Commune de Hem", "Lycée de Hem", "Ville de Lille", "Ville de Lille"],
            "cout_total": "100000",
            "etat": "20000",
            "region": "20000",
        }
    )
    counted = prog.target_progress(prog.check_projects(rows).projects).set_index("kind")
    assert counted.loc["cyber_centre", "projets"] == 3
    assert counted.loc["cyber_centre", "realise"] == 2  # equipment then animation of the commune's centre: one place
    assert counted.loc["ville_numerique", "realise"] == 1  # « villes … soutenues »: one city


def test_programme_cli_contract(tmp_path):
    result = runner.invoke(app, ["programme", "--projects", str(example_path(PROJECTS_FILE)), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "102,0 (15,5498)" in result.output
    assert "projet P036 (ligne 36) — violation : taux" in result.output
    assert "projet P039 (ligne 39) — avertissement : Département du Pas-de-Calais" in result.output
    table = pd.read_csv(tmp_path / "programme.csv", dtype={"objectif": str, "action": str})
    assert list(table.columns[:5]) == ["objectif", "action", "partenaire", "montant_mf", "montant_meur"]
    totals = table[table["action"].isna()]
    assert set(totals["objectif"]) == {"43", "44", "45", "46", "47", "48", "49"}
    assert (tmp_path / "controle_source.csv").is_file()
    checked = pd.read_csv(tmp_path / "projets_controle.csv", dtype=str)
    assert len(checked) == 47 and {"violations", "n_violations", "avertissements", "retenu"} <= set(checked.columns)
    findings = pd.read_csv(tmp_path / "projets_violations.csv", dtype=str)
    assert list(findings.columns) == ["input_row", "id", "regle", "gravite", "message"]
    assert set(findings["gravite"]) == {"violation", "avertissement"}
    source = pd.read_csv(tmp_path / "controle_source.csv", dtype=str)
    assert (source["type"] == "incohérence").sum() == 2
    envelopes = pd.read_csv(tmp_path / "programme_enveloppes.csv", dtype={"ligne": str})
    assert {"ligne", "partenaire", "enveloppe_meur", "programme_meur", "reste_meur"} <= set(envelopes.columns)
    assert envelopes["reste_meur"].to_numpy() == pytest.approx(
        (envelopes["enveloppe_meur"] - envelopes["programme_meur"]).to_numpy(), abs=1e-6
    )
    territories = pd.read_csv(tmp_path / "programme_territoires.csv")
    assert list(territories.columns[:5]) == [
        "territoire",
        "objectif",
        "partenaire",
        "montant_meur",
        "montant_meur_par_hab",
    ]
    plain = runner.invoke(app, ["programme"])
    assert plain.exit_code == 0 and "Contrôle de la source : 13 constat(s)" in plain.output
    assert "[incohérence]" in plain.output


def test_a_programme_with_a_bad_key_or_amount_is_refused_by_name():
    programme = territorial.load_programme()
    programme["objectifs"][0]["tableau"][0]["montant"] = 3
    del programme["objectifs"][1]["texte"][0]["mf"], programme["objectifs"][1]["texte"][0]["meur"]
    with pytest.raises(territorial.InputFileError) as caught:
        prog.programme_table(programme)
    message = str(caught.value)
    assert "unknown key(s) ['montant'] in objectif 1 → tableau 1" in message
    assert "objectif 2 → texte 1: gives no amount" in message


def dated_rows() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Three cyber-centre projects (2001, 2004, undated) and four listed places with their dates."""
    rows = pd.DataFrame(
        {
            "id": ["A", "B", "C"],
            "action": "44",
            "code_insee": ["59350", "62041", "62498"],  # Lille (Métropole), Arras (Artois), Lens (Bassin Minier)
            "cout_total": "100000",
            "etat": "20000",
            "region": "20000",
            "date": ["2001", "2004", ""],
        }
    )
    places = pd.DataFrame(
        {
            "kind": "cyber_centre",
            "code_insee": ["59350", "59178", "59183", "59512"],  # Lille, Douai, Dunkerque, Roubaix
            "ouverture": pd.to_datetime(["1999-05-01", "2002-06-01", "2003-01-15", None]),
            "fermeture": pd.to_datetime([None, "2002-09-01", None, "2005-01-01"]),
        }
    )
    return prog.check_projects(rows).projects, places


@pytest.mark.parametrize(
    ("undated", "at_deadline"),
    [
        # on 31/12/2002: Lille (listed since 1999, funded 2001: one place), Roubaix (undated, closed in 2005)
        # and Lens (an undated project); Douai closed in September, Dunkerque opened in 2003, Arras funded in 2004
        ("count", 3),
        ("exclude", 1),  # Lille only
    ],
)
def test_the_count_at_a_dated_target_takes_what_was_open_then(undated, at_deadline):
    checked, places = dated_rows()
    counted = prog.target_progress(checked, places=places, undated=undated).set_index("kind")
    cyber = counted.loc["cyber_centre"]
    assert cyber["realise_a_echeance"] == at_deadline  # the data sees to 2005 (Roubaix's closing)
    assert cyber["ecart_a_echeance"] == 200 - at_deadline and cyber["trajectoire"] == "non atteinte"
    assert pd.isna(cyber["projection_a_echeance"])
    # today: places still open (Lille, Dunkerque) and every project (Lille, Arras, Lens), reconciled by commune
    assert cyber["realise"] == 4


def test_the_trajectory_per_territory_counts_year_by_year():
    checked, places = dated_rows()
    path = prog.target_trajectory(checked, places=places)
    region = path[path["territoire"] == "Région"].set_index("annee")
    assert region["nombre"].to_dict() == {2000: 3, 2001: 3, 2002: 3, 2003: 4, 2004: 5, 2005: 4}
    assert not region["projete"].any() and (region["cible"] == 200).all()
    metropole = path[path["territoire"] == "Métropole"].set_index("annee")["nombre"]
    assert metropole.to_dict() == {2000: 2, 2001: 2, 2002: 2, 2003: 2, 2004: 2, 2005: 1}  # Roubaix closes
    littoral = path[path["territoire"] == "Littoral"].set_index("annee")["nombre"]
    assert littoral.loc[2002] == 0 and littoral.loc[2003] == 1
    # every year, the territories add up to the region, and their targets to 200
    sums = path[path["territoire"] != "Région"].groupby("annee")[["nombre", "cible"]].sum()
    assert (sums["nombre"] == region["nombre"]).all() and sums["cible"].round(9).eq(200).all()
    shares = territorial.territories().set_index("territoire")["population"]
    expected = 200 * shares["Métropole"] / shares.sum()
    assert path.loc[path["territoire"] == "Métropole", "cible"].iloc[0] == pytest.approx(expected, rel=1e-12)


def test_a_target_past_the_data_is_judged_on_the_trend_prolonged():
    places = pd.DataFrame(
        {
            "kind": "cyber_centre",
            "code_insee": ["59350", "59178", "59183"],
            "ouverture": pd.to_datetime(["2000-03-01", "2001-03-01", "2001-06-01"]),
        }
    )
    none = prog.check_projects(dated_rows()[0].iloc[:0].astype(str)).projects
    row = prog.target_progress(none, places=places).set_index("kind").loc["cyber_centre"]
    # 0 at the end of 1999, 3 at the end of 2001 (the last date): 1.5 a year, 4.5 at the end of 2002
    assert row["projection_a_echeance"] == 4.5 and row["ecart_a_echeance"] == 195.5
    assert pd.isna(row["realise_a_echeance"]) and row["trajectoire"].startswith("pas en voie (tendance 1999–2001")
    path = prog.target_trajectory(none, places=places).query("territoire == 'Région'").set_index("annee")
    assert path["nombre"].to_dict() == {2000: 1, 2001: 3, 2002: 4.5}
    assert path["projete"].to_dict() == {2000: False, 2001: False, 2002: True}
    # with a target of 4 the same trend reaches it
    low = altered(["cibles", 0], "valeur", 4)
    row = prog.target_progress(none, low, places=places).set_index("kind").loc["cyber_centre"]
    assert row["trajectoire"].startswith("en voie") and row["ecart_a_echeance"] == -0.5
    # and a year to judge on can be given: seen at the end of 2000 only, 1 a year
    row = prog.target_progress(none, places=places, as_of=2000).set_index("kind").loc["cyber_centre"]
    assert row["projection_a_echeance"] == 3
    # data that stop before the contract: the count at its start, kept
    early = places.assign(ouverture=pd.to_datetime(["1996-01-01", "1997-01-01", "1997-06-01"]))
    row = prog.target_progress(none, places=early).set_index("kind").loc["cyber_centre"]
    assert row["projection_a_echeance"] == 3 and row["trajectoire"].endswith(
        "(rien de daté après 1999 : nombre maintenu)"
    )
    path = prog.target_trajectory(none, places=early).query("territoire == 'Région'").set_index("annee")["nombre"]
    assert path.to_dict() == {2000: 3, 2001: 3, 2002: 3}


def test_undated_must_be_count_or_exclude():
    checked, places = dated_rows()
    with pytest.raises(ArgumentError, match="`undated` must be 'count' or 'exclude'"):
        prog.target_progress(checked, places=places, undated="ignore")


def test_a_place_opening_in_the_future_counts_neither_today_nor_stretches_the_years():
    checked, places = dated_rows()
    later = pd.concat(
        [
            places,
            pd.DataFrame(
                {"kind": ["cyber_centre"], "code_insee": ["62119"], "ouverture": pd.to_datetime(["2099-01-01"])}
            ),
        ],
        ignore_index=True,
    )
    before = prog.target_progress(checked, places=places).set_index("kind").loc["cyber_centre"]
    after = prog.target_progress(checked, places=later).set_index("kind").loc["cyber_centre"]
    assert after["realise"] == before["realise"] == 4  # Béthune opens in 2099: not open today
    assert after["realise_a_echeance"] == before["realise_a_echeance"]
    path = prog.target_trajectory(checked, places=later)
    assert path["annee"].max() == 2006  # the contract's last year, not 2099

"""Truth tables of the name rules, generated from the registry data the geography embeds (COG, postal codes).

Each table is every case of one rule that the registries hold, not a handful picked by hand:
the wrong answers must be 0, and the share placed right is measured (``bench/bench_names.py``
prints the same tables).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import territorial
from territorial import geography, normalise
from territorial.geocode import NAME_KINDS, UNOFFICIAL


@pytest.fixture(scope="module")
def registry():
    communes = geography.communes()[["code_insee", "nom", "departement", "codes_postaux"]]
    france = geography._layer("communes_france")
    return communes, france[~france["departement"].isin(["59", "62"])]


def outcome(frame: pd.DataFrame, expected: pd.Series) -> dict[str, int]:
    """right / wrong / refused counts of a geocoding against the expected INSEE codes ('' = must not be placed)."""
    result = territorial.geocode(frame)
    rows = pd.concat([result.accepted.drop(columns="geometry"), result.rejected]).set_index("input_row").sort_index()
    placed = rows["code_insee"].fillna("").astype(str).to_numpy()
    wanted = expected.to_numpy()
    accepted = rows["geocode_status"].isin(["matched", "fuzzy"]).to_numpy()
    return {
        "right": int((accepted & (placed == wanted) & (wanted != "")).sum()),
        "wrong": int((accepted & (placed != wanted)).sum()),
        "refused": int((~accepted).sum()),
    }


def postal_pairs() -> pd.DataFrame:
    """Every (commune, postal code) pair the COG and La Poste give the zone's communes (as the gazetteer has them)."""
    gazetteer = geography.gazetteer()
    rows = gazetteer[gazetteer["type"] == "commune"]
    return rows.assign(cp=rows["codes_postaux"].str.split(";")).explode("cp")[["code_insee", "nom", "cp"]]


def shared_elsewhere(france: pd.DataFrame) -> set[tuple[str, str]]:
    """(name key, postal code) of the communes elsewhere whose postal code is one of the zone's (62760, Somme)."""
    pairs = france.assign(cp=france["codes_postaux"].fillna("").str.split(";")).explode("cp")
    pairs = pairs[pairs["cp"].str[:2].isin(["59", "62"])]
    return set(zip(pairs["nom"].map(normalise.name_key), pairs["cp"]))


def test_every_commune_by_its_name_and_each_of_its_postal_codes(registry):
    # placed right, except a homonym elsewhere that La Poste serves with the same code (Thièvres, 62760): ambiguous
    _, france = registry
    pairs = postal_pairs()
    frame = pd.DataFrame({"commune": pairs["nom"].str.upper(), "code_postal": pairs["cp"]})
    elsewhere = shared_elsewhere(france)
    shared = [(normalise.name_key(n), cp) in elsewhere for n, cp in zip(pairs["nom"], pairs["cp"])]
    assert 1 <= sum(shared) <= 10
    counts = outcome(frame, pairs["code_insee"].where(~pd.Series(shared, index=pairs.index), ""))
    assert counts == {"right": len(pairs) - sum(shared), "wrong": 0, "refused": sum(shared)}


def test_names_of_communes_elsewhere_are_never_pulled_in_by_an_article(registry):
    # every commune outside 59/62 whose name, with or without its article, is a commune of 59/62 under
    # the other form (e.g. « La X » elsewhere and « X » here): alone, it is not placed in 59/62
    communes, france = registry
    here = {normalise.strip_article(normalise.name_key(n)) for n in communes["nom"]}
    exact_here = {normalise.name_key(n) for n in communes["nom"]}
    keys = france["nom"].map(normalise.name_key)
    mirrored = france[keys.map(normalise.strip_article).isin(here) & ~keys.isin(exact_here)]
    assert len(mirrored) >= 10  # the registries hold enough of them to mean something
    counts = outcome(pd.DataFrame({"commune": mirrored["nom"].to_numpy()}), pd.Series([""] * len(mirrored)))
    assert counts == {"right": 0, "wrong": 0, "refused": len(mirrored)}


def test_a_name_against_its_postal_code_is_never_placed_silently(registry):
    # a commune's name with the postal code of a commune of the other département (seeded sample):
    # placed only where a reading agrees with both, never on the name alone
    communes, _ = registry
    rng = np.random.default_rng(0)
    nord, pas = communes[communes["departement"] == "59"], communes[communes["departement"] == "62"]
    names = pd.concat([nord.sample(300, random_state=1), pas.sample(300, random_state=2)])
    others = [(pas if d == "59" else nord).iloc[rng.integers(len(nord) // 2)] for d in names["departement"]]
    cps = [o["codes_postaux"].split(";")[0] for o in others]
    frame = pd.DataFrame({"commune": names["nom"].to_numpy(), "code_postal": cps})
    agree = [  # the commune a name (without article) and the postal code designate together, if any
        next(
            (
                c.code_insee
                for c in communes.itertuples()
                if cp in c.codes_postaux.split(";")
                and normalise.strip_article(normalise.name_key(c.nom)) == normalise.strip_article(normalise.name_key(n))
            ),
            "",
        )
        for n, cp in zip(frame["commune"], frame["code_postal"])
    ]
    counts = outcome(frame, pd.Series(agree))
    assert counts["wrong"] == 0 and counts["right"] == sum(map(bool, agree)), counts


def test_homonyms_with_the_postal_code_of_their_own_departement_are_outside(registry):
    # a name both in 59/62 and in another département, given with that département's postal code
    communes, france = registry
    keys_here = set(communes["nom"].map(normalise.name_key))
    twins = france[france["nom"].map(normalise.name_key).isin(keys_here) & (france["type"] == "commune")]
    assert len(twins) >= 20
    frame = pd.DataFrame({"commune": twins["nom"].to_numpy(), "departement": twins["departement"].to_numpy()})
    result = territorial.geocode(frame)
    assert len(result.accepted) == 0 and (result.rejected["geocode_status"] == "outside_region").all()


@pytest.mark.parametrize("near", ["lès", "lez", "les", "Lez", "LES"])
def test_les_and_lez_inside_a_name_are_one_word_and_never_an_article(registry, near):
    communes, _ = registry
    named = communes[communes["nom"].str.contains(r"-l[eè][sz]-", regex=True)]
    assert len(named) >= 10
    spelled = named["nom"].str.replace(r"-l[eè][sz]-", f"-{near}-", regex=True)
    counts = outcome(pd.DataFrame({"commune": spelled.to_numpy()}), named["code_insee"])
    assert counts == {"right": len(named), "wrong": 0, "refused": 0}
    assert normalise.strip_article(normalise.name_key("Lez-Fontaine")) == "lez fontaine"


def test_a_single_column_of_latitude_longitude_is_read_when_it_holds_pairs():
    points = pd.DataFrame({"nom": ["a", "b"], "localisation": ["50.6292, 3.0573", "50,2910;2,7775"]})
    result = territorial.geocode(points)
    assert list(result.accepted["code_insee"]) == ["59350", "62041"]
    words = pd.DataFrame({"nom": ["a", "b"], "geo": ["urbain", "rural"], "commune": ["Lille", "Arras"]})
    assert list(territorial.geocode(words).accepted["geocode_method"]) == ["name", "name"]


OTHER_NAMES = ("commune_deleguee", "commune_associee", "ancienne_commune", "ancien_nom", "lieu_dit", "libelle_poste")


@pytest.mark.parametrize("kind", OTHER_NAMES)
def test_every_other_name_of_the_zone_with_its_postal_codes_is_placed_with_its_kind(registry, kind):
    # La Poste's names, former communes (COG since 1943 and the sourced list), old names, hamlets,
    # communes déléguées and associées: each with each postal code of its commune, placed right and said so
    gazetteer = geography.gazetteer()
    names = gazetteer[gazetteer["type"] == kind]
    assert len(names) >= 1
    pairs = names.assign(cp=names["codes_postaux"].str.split(";")).explode("cp")
    frame = pd.DataFrame({"commune": pairs["nom"].to_numpy(), "code_postal": pairs["cp"].to_numpy()})
    counts = outcome(frame, pairs["code_insee"])
    assert counts == {"right": len(pairs), "wrong": 0, "refused": 0}
    notes = territorial.geocode(frame).accepted["geocode_note"]
    phrase = NAME_KINDS[kind][: -len(" de")] if kind != "commune_associee" else NAME_KINDS[kind]
    assert notes.str.contains(phrase, regex=False).all(), notes[~notes.str.contains(phrase, regex=False)]


def test_a_commune_written_with_one_of_its_other_names_is_read_in_two_parts(registry):
    # « LILLE HELLEMMES », « DUNKERQUE MALO LES BAINS »: every commune with each of its other names, in both orders
    gazetteer = geography.gazetteer()
    others = gazetteer[gazetteer["type"].isin(OTHER_NAMES) & gazetteer["nom"].notna()]
    cp = others["codes_postaux"].str.split(";").str[0]
    both_orders = pd.concat(
        [
            pd.DataFrame({"commune": (others["commune"] + " " + others["nom"]).str.upper(), "code_postal": cp}),
            pd.DataFrame({"commune": others["nom"] + " (" + others["commune"] + ")", "code_postal": cp}),
        ]
    )
    keys = both_orders["commune"].map(normalise.name_key)
    both_orders = both_orders[~keys.isin(gazetteer["nom"].dropna().map(normalise.name_key))]  # already a name
    assert len(both_orders) >= 100
    expected = pd.Series(list(others["code_insee"]) * 2, index=range(2 * len(others)))[
        ~keys.isin(gazetteer["nom"].dropna().map(normalise.name_key)).to_numpy()
    ]
    counts = outcome(both_orders.reset_index(drop=True), expected.reset_index(drop=True))
    assert counts == {"right": len(both_orders), "wrong": 0, "refused": 0}


def test_other_names_that_are_a_commune_elsewhere_need_their_postal_code(registry):
    # « Aix » (Aix-en-Pévèle until 2018; a commune of the Corrèze), « Beaumont », « MONTREUIL »: never placed alone
    _, france = registry
    gazetteer = geography.gazetteer()
    official = set(
        france.loc[france["type"].isin(["commune", "commune_deleguee", "commune_associee"]), "nom"].map(
            normalise.name_key
        )
    )
    weak = gazetteer[
        gazetteer["type"].isin(UNOFFICIAL)
        & gazetteer["nom"].map(lambda n: isinstance(n, str) and normalise.name_key(n) in official)
    ]
    assert len(weak) >= 3
    result = territorial.geocode(pd.DataFrame({"commune": weak["nom"].to_numpy()}))
    assert len(result.accepted) == 0 and set(result.rejected["geocode_status"]) == {"ambiguous"}
    assert result.rejected["geocode_note"].str.contains("précisez le code postal").all()


def test_la_poste_and_former_names_of_communes_elsewhere_are_never_placed_here(registry):
    communes, france = registry
    here = set(geography.gazetteer()["nom"].dropna().map(normalise.name_key))
    names = france[france["type"].isin(UNOFFICIAL) & ~france["nom"].map(normalise.name_key).isin(here)]
    assert set(names["type"]) == {"libelle_poste", "ancienne_commune", "ancien_nom"} and len(names) >= 1000
    counts = outcome(pd.DataFrame({"commune": names["nom"].to_numpy()}), pd.Series([""] * len(names)))
    assert counts == {"right": 0, "wrong": 0, "refused": len(names)}


def test_a_name_known_nowhere_is_placed_by_a_postal_code_of_one_commune_only(registry):
    # a hamlet or district (La Poste's « ligne 5 ») with each postal code of 59/62: placed when the code serves
    # one commune, said in the note; refused with the communes listed when it serves several
    served = postal_pairs().groupby("cp")["code_insee"].agg(set)
    single = served[served.map(len) == 1]
    assert len(single) >= 100 and len(served) > len(single)
    frame = pd.DataFrame({"commune": "ZZQX LIEU SANS NOM", "code_postal": served.index.to_numpy()})
    expected = pd.Series([next(iter(s)) if len(s) == 1 else "" for s in served])
    counts = outcome(frame, expected)
    assert counts == {"right": len(single), "wrong": 0, "refused": len(served) - len(single)}
    result = territorial.geocode(frame)
    assert result.accepted["geocode_note"].str.contains("n'est le nom d'aucune commune").all()
    assert result.rejected["geocode_note"].str.contains("communes :").all()


def test_a_departement_that_contradicts_the_name_is_never_ignored(registry):
    # every commune with the other département of the zone (a column, « NAME (dep) », a CEDEX code of it):
    # placed only where the name without its article fits that département (LONGUEVILLE, Nord: La Longueville)
    communes, _ = registry
    other = communes["departement"].map({"59": "62", "62": "59"})
    bare = {}
    for code, name, dep in zip(communes["code_insee"], communes["nom"], communes["departement"]):
        bare.setdefault((normalise.strip_article(normalise.name_key(name)), dep), set()).add(code)
    fits = [
        bare.get((normalise.strip_article(normalise.name_key(n)), d), set()) for n, d in zip(communes["nom"], other)
    ]
    expected = pd.Series([next(iter(f)) if len(f) == 1 else "" for f in fits])
    forms = {
        "column": pd.DataFrame({"commune": communes["nom"].to_numpy(), "departement": other.to_numpy()}),
        "in the name": pd.DataFrame({"commune": (communes["nom"] + " (" + other + ")").to_numpy()}),
        "CEDEX code": pd.DataFrame({"commune": (communes["nom"] + " CEDEX").to_numpy(), "code_postal": other + "001"}),
    }
    for form, frame in forms.items():
        counts = outcome(frame, expected)
        assert counts["wrong"] == 0 and counts["right"] == (expected != "").sum() >= 1, (form, counts)


def typos(names: pd.Series) -> pd.DataFrame:
    """Every one-letter deletion inside each name (first and last letters kept), with the commune it came from."""
    rows = [
        (code, name[:i] + name[i + 1 :])
        for code, name in names.items()
        for i in range(1, len(name) - 1)
        if name[i].isalpha()
    ]
    return pd.DataFrame(rows, columns=["code_insee", "typo"]).drop_duplicates("typo", keep=False)


def test_a_typo_as_close_to_two_communes_is_never_placed_on_one(registry):
    from rapidfuzz.distance import OSA

    communes, _ = registry
    names = communes.set_index("code_insee")["nom"].str.upper()
    keys = {code: normalise.name_key(name) for code, name in names.items()}
    exact = postal_pairs().drop_duplicates("code_insee")  # a typo that is another name exactly names that one
    gazetteer = geography.gazetteer().dropna(subset=["nom"])
    named = gazetteer.groupby(gazetteer["nom"].map(normalise.name_key))["code_insee"].agg(set)
    assert len(exact) == len(communes)
    sample = typos(names).sample(4000, random_state=7)
    expected = []
    for code, typo in zip(sample["code_insee"], sample["typo"]):
        key = normalise.name_key(typo)
        if key in named.index:
            expected.append(next(iter(named[key])) if len(named[key]) == 1 else "")
            continue
        near = {c for c, k in keys.items() if OSA.distance(key, k) <= OSA.distance(key, keys[code])}
        expected.append(code if near == {code} else "")  # '' : another commune is as close, so must be refused
    counts = outcome(pd.DataFrame({"commune": sample["typo"].to_numpy()}), pd.Series(expected))
    assert counts["wrong"] == 0 and counts["right"] >= 0.8 * sum(e != "" for e in expected), counts


def test_a_typo_with_a_neighbours_postal_code_is_not_placed_by_the_code(registry):
    # « ANICE 59165 »: a misspelt commune with the postal code of another commune that has it to itself
    communes, _ = registry
    pairs = postal_pairs()
    served = pairs.groupby("cp")["code_insee"].agg(set)
    single = served[served.map(len) == 1].index.to_numpy()
    names = communes.set_index("code_insee")["nom"].str.upper()
    sample = typos(names).sample(600, random_state=8)
    rng = np.random.default_rng(8)
    cps = [next(cp for cp in rng.permutation(single) if code not in served[cp]) for code in sample["code_insee"]]
    counts = outcome(pd.DataFrame({"commune": sample["typo"].to_numpy(), "code_postal": cps}), pd.Series([""] * 600))
    assert counts == {"right": 0, "wrong": 0, "refused": 600}


def test_two_communes_in_one_field_are_never_read_as_one(registry):
    communes, _ = registry
    a = communes.sample(400, random_state=9)["nom"].to_numpy()
    b = communes.sample(400, random_state=10)["nom"].to_numpy()
    keep = [normalise.name_key(x) != normalise.name_key(y) for x, y in zip(a, b)]
    a, b = a[keep], b[keep]
    for frame in (
        pd.DataFrame({"commune": [f"{x} ({y})" for x, y in zip(a, b)]}),
        pd.DataFrame({"commune": [f"{x} {y}".upper() for x, y in zip(a, b)]}),
    ):
        counts = outcome(frame, pd.Series([""] * len(frame)))
        assert counts["wrong"] == 0 and counts["right"] == 0, counts


@pytest.mark.parametrize("suffix", [" CEDEX", " CEDEX 9", " CEDEX9", " CDX", " ZI NORD"])
def test_cedex_forms_and_a_district_after_the_name_with_its_postal_code(suffix):
    pairs = postal_pairs().sample(500, random_state=11)
    frame = pd.DataFrame({"commune": (pairs["nom"].str.upper() + suffix).to_numpy(), "code_postal": pairs["cp"]})
    counts = outcome(frame, pairs["code_insee"])
    assert counts["wrong"] == 0 and counts["right"] >= 495, counts


def test_a_typo_with_the_postal_code_of_a_look_alike_is_not_placed_on_the_look_alike(registry):
    # « AVLIN 62210 »: one letter from Avelin (59), and 80 % like Avion, whose postal code it carries
    from rapidfuzz.distance import OSA

    communes, _ = registry
    pairs = postal_pairs()
    served = pairs.groupby("cp")["code_insee"].agg(set)
    names = communes.set_index("code_insee")["nom"].str.upper()
    keys = {code: normalise.name_key(name) for code, name in names.items()}
    named = set(geography.gazetteer()["nom"].dropna().map(normalise.name_key))
    sample = typos(names).sample(3000, random_state=12)
    rows, expected = [], []
    for code, typo in zip(sample["code_insee"], sample["typo"]):
        key = normalise.name_key(typo)
        if key in named:  # « CUINCY » (59) is no typo of Cuinchy: it names a commune
            continue
        own = OSA.distance(key, keys[code])
        look_alike = [c for c, k in keys.items() if c != code and OSA.distance(key, k) <= own + 2]
        cps = [cp for c in look_alike for cp in pairs.loc[pairs["code_insee"] == c, "cp"] if code not in served[cp]]
        if cps:
            rows.append((typo, cps[0]))
            expected.append("")  # the name says one commune, the postal code another: never placed on either
    assert len(rows) >= 50
    frame = pd.DataFrame(rows, columns=["commune", "code_postal"])
    counts = outcome(frame, pd.Series(expected))
    assert counts["wrong"] == 0, counts


def test_misspelt_compound_names_and_big_city_districts():
    frame = pd.DataFrame(
        {
            "commune": [
                "AVESNES-LA-COMTE",
                "BEAUFORT-BAVINCOURT",
                "PARIS 8EME",
                "Paris 16e Arrondissement",
                "LYON 1ER",
            ],
            "code_postal": ["62810", "62810", "62200", "62290", "59263"],
        }
    )
    result = territorial.geocode(frame)
    placed = dict(zip(result.accepted["commune_source"], result.accepted["commune"]))
    assert placed == {"AVESNES-LA-COMTE": "Avesnes-le-Comte", "BEAUFORT-BAVINCOURT": "Beaufort-Blavincourt"}
    assert set(result.rejected["geocode_status"]) == {"outside_region"}

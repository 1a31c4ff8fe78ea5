"""Known answers for every normalisation rule of SPEC §4."""

from __future__ import annotations

import pytest

from territorial import normalise


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("Lille", "lille"),
        ("LILLE", "lille"),
        ("Béthune", "bethune"),  # accents
        ("BETHUNE", "bethune"),
        ("Humerœuille", "humeroeuille"),  # œ
        ("Lætitia-sur-Mer", "laetitia sur mer"),  # æ
        ("Villeneuve-d'Ascq", "villeneuve d ascq"),  # hyphens and apostrophes
        ("Villeneuve d’Ascq", "villeneuve d ascq"),  # typographic apostrophe
        ("Saint–Omer", "saint omer"),  # en dash
        ("  Villeneuve   d Ascq ", "villeneuve d ascq"),  # spaces
        ("St-Omer", "saint omer"),  # St
        ("Ste Catherine", "sainte catherine"),  # Ste
        ("S. Omer", "saint omer"),  # S.
        ("Saint-Pol s/ Ternoise", "saint pol sur ternoise"),  # s/ for sur
        ("Portel (Le)", "le portel"),  # article after, in brackets
        ("Portel, Le", "le portel"),  # article after a comma
        ("Le Portel", "le portel"),
        ("Bassée (La)", "la bassee"),
        ("Attaques (Les)", "les attaques"),
        ("Orée de Mormal (L')", "l oree de mormal"),
        ("LILLE CEDEX", "lille"),  # CEDEX
        ("Lille Cedex 9", "lille"),
        ("Villers-lez-Cagnicourt", "villers lez cagnicourt"),  # lez / lès
        ("Villers-lès-Cagnicourt", "villers lez cagnicourt"),
        ("Marcq-en-Barœul", "marcq en baroeul"),
        ("", ""),
        (None, ""),
        (float("nan"), ""),
    ],
)
def test_name_key(raw, key):
    assert normalise.name_key(raw) == key


@pytest.mark.parametrize(
    ("key", "bare"),
    [("le portel", "portel"), ("l oree de mormal", "oree de mormal"), ("lille", "lille"), ("les", "les")],
)
def test_strip_article(key, bare):
    assert normalise.strip_article(key) == bare


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("59000", "59000"),
        (59000, "59000"),
        ("59178.0", "59178"),
        (59178.0, "59178"),
        ("2100", "02100"),
        (" 62 200 ", "62200"),
        ("F-59000", ""),
        ("590", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_postal_code(raw, code):
    assert normalise.postal_code(raw) == code


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("59350", "59350"),
        ("59178.0", "59178"),
        (59178, "59178"),
        ("2285", "02285"),
        (2285.0, "02285"),
        ("2a004", "2A004"),
        ("abc", ""),
        ("593500", ""),
        ("", ""),
    ],
)
def test_insee_code(raw, code):
    assert normalise.insee_code(raw) == code


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("59", "59"),
        (62, "62"),
        ("062", "62"),
        ("59.0", "59"),
        ("Nord", "59"),
        ("PAS-DE-CALAIS", "62"),
        ("pas de calais", "62"),
        ("2A", "2A"),
        ("971", "971"),
        ("5", "05"),
        ("Somme", ""),
        ("", ""),
    ],
)
def test_departement_code(raw, code):
    assert normalise.departement_code(raw) == code


@pytest.mark.parametrize(
    ("raw", "parts"),
    [
        ("59000 Lille", ("Lille", "59000", "")),
        ("Lille 59000", ("Lille", "59000", "")),
        ("LILLE 59043 CEDEX", ("LILLE", "59043", "")),
        ("Saint-Aubin (62)", ("Saint-Aubin", "", "62")),
        ("Portel (Le)", ("Portel (Le)", "", "")),
        ("Lille", ("Lille", "", "")),
        ("", ("", "", "")),
    ],
)
def test_split_place(raw, parts):
    assert normalise.split_place(raw) == parts


@pytest.mark.parametrize(
    ("raw", "parts"),
    [
        ("12 rue Nationale 59000 Lille", ("59000", "Lille")),
        ("1 place du Théâtre, 62000 ARRAS CEDEX", ("62000", "ARRAS")),
        ("12 rue Nationale", ("", "")),
        (None, ("", "")),
    ],
)
def test_address_place(raw, parts):
    assert normalise.address_place(raw) == parts

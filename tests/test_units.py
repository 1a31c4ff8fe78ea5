"""Known-answer tests of small helpers."""

from __future__ import annotations

import pytest

from territorial._format import fr_number
from territorial._validate import normalise_insee_code
from territorial.io import normalise_column_name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("59350", "59350"),
        (59350, "59350"),
        ("2285", "02285"),
        (2285.0, "02285"),
        ("59178.0", "59178"),
        (" 62041 ", "62041"),
        ("2a004", "2A004"),
        ("", None),
        (None, None),
        (float("nan"), None),
    ],
)
def test_normalise_insee_code(raw, expected):
    assert normalise_insee_code(raw) == expected


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [(1268900, 0, "1\u202f268\u202f900"), (885.1015, 1, "885,1"), (0, 0, "0"), (1433.64, 2, "1\u202f433,64")],
)
def test_fr_number(value, digits, expected):
    assert fr_number(value, digits) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("Code INSEE", "code_insee"), ("Territoire ", "territoire"), ("Nom-Commune", "nom_commune"), ("Équipe", "equipe")],
)
def test_normalise_column_name(raw, expected):
    assert normalise_column_name(raw) == expected

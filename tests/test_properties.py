"""Property-based tests (hypothesis, fixed profile in conftest.py)."""

from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import territorial
from territorial import balance, coverage, normalise
from territorial.io import read_input

FRENCH = "abcdefghijklmnopqrstuvwxyzàâäçéèêëîïôöùûüÿœæ"
NAMES = st.text(alphabet=FRENCH + FRENCH.upper() + " -'’().", max_size=40)  # the letters of French place names


@given(NAMES)
def test_name_key_is_idempotent(name):
    key = normalise.name_key(name)
    assert normalise.name_key(key) == key


@given(NAMES)
def test_name_key_ignores_case_and_accents(name):
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    assert normalise.name_key(name.upper()) == normalise.name_key(name.lower())
    if plain.isascii() and all(unicodedata.combining(c) == 0 for c in plain):
        assert normalise.name_key(plain) == normalise.name_key(
            unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        )


CELL = (
    st.text(
        alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Nd"), whitelist_characters=" -éèàçô'"),
        min_size=1,
        max_size=12,
    )
    .map(str.strip)
    .filter(bool)
)


@given(
    st.lists(
        st.tuples(CELL, CELL, st.floats(-1e5, 1e5, allow_nan=False).map(lambda v: round(v, 3))), min_size=1, max_size=20
    ),
    st.sampled_from([";", ",", "\t", "|"]),
    st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
    st.sampled_from([".", ","]),
)
def test_readers_round_trip(tmp_path_factory, rows, sep, encoding, decimal):
    if sep == "," and decimal == ",":
        decimal = "."
    frame = pd.DataFrame(rows, columns=["nom", "ville", "valeur"])
    text = frame.assign(valeur=frame["valeur"].map(lambda v: repr(v).replace(".", decimal)))
    path = tmp_path_factory.mktemp("rt") / "table.csv"
    path.write_bytes(text.to_csv(sep=sep, index=False).encode(encoding, errors="replace"))
    back = read_input(path)
    assert list(back.columns) == ["nom", "ville", "valeur"]
    assert back["nom"].tolist() == [str(v).encode(encoding, errors="replace").decode(encoding) for v in frame["nom"]]
    from territorial.io import to_number

    assert np.allclose(to_number(back["valeur"]), frame["valeur"].to_numpy())


COMMUNES = territorial.communes(scheme=None)["nom"].sample(30, random_state=3).tolist()
ROW = st.fixed_dictionaries(
    {
        "commune": st.one_of(st.sampled_from(COMMUNES), st.sampled_from(["", "Paris", "Saint-Aubin", "???"]), CELL),
        "code_postal": st.sampled_from(["", "59000", "62170", "80000", "x", "5900"]),
        "latitude": st.one_of(st.just(""), st.floats(-100, 100).map(str), st.sampled_from(["50,63", "inf", "nan"])),
        "longitude": st.one_of(st.just(""), st.floats(-200, 200).map(str), st.sampled_from(["3,06", "-inf"])),
    }
)


@given(st.lists(ROW, min_size=1, max_size=40))
def test_row_accounting_holds_for_any_rows(rows):
    frame = pd.DataFrame(rows)
    result = territorial.geocode(frame)
    assert len(result.accepted) + len(result.rejected) == len(frame)
    assert sorted([*result.accepted["input_row"], *result.rejected["input_row"]]) == list(range(1, len(frame) + 1))
    assert result.rejected["geocode_note"].str.len().gt(0).all()


@given(arrays(np.int64, st.integers(2, 40), elements=st.integers(0, 20)), st.data())
def test_equity_bounds_and_theil_identity(counts, data):
    n = len(counts)
    population = data.draw(arrays(np.int64, n, elements=st.integers(1, 100_000)))
    groups = data.draw(arrays(np.int64, n, elements=st.integers(0, 3)))
    t = balance.theil(counts, population, groups)
    if counts.sum() == 0:
        assert np.isnan(t.total)
        return
    assert t.total >= -1e-12 and t.between >= -1e-12 and t.within >= -1e-12
    assert abs(t.total - t.between - t.within) < 1e-9
    assert t.total <= np.log(population.sum() / population.min()) + 1e-9
    gini = balance.weighted_gini(counts / population, population)
    assert 0 <= gini < 1


@given(
    arrays(np.float64, (12, 2), elements=st.floats(0, 10_000)),
    arrays(np.float64, (4, 2), elements=st.floats(0, 10_000)),
    st.floats(10, 3000),
    st.floats(1, 3000),
)
def test_coverage_is_monotone_in_the_radius(origins, facilities, radius, extra):
    distance, _ = coverage.nearest_distance(origins, facilities)
    assert (distance <= radius).sum() <= (distance <= radius + extra).sum()
    from shapely.geometry import box

    square = [box(0, 0, 10_000, 10_000)]
    small = coverage.covered_share_of_area(square, facilities, radius, quad_segs=8)[0]
    large = coverage.covered_share_of_area(square, facilities, radius + extra, quad_segs=8)[0]
    assert small <= large + 1e-9

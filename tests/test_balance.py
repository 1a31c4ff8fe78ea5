"""Known answers for the equity measures, and the unweighted cross-checks against PySAL."""

from __future__ import annotations

import math

import numpy as np
import pytest
from inequality.gini import Gini
from inequality.theil import Theil as PysalTheil
from inequality.theil import TheilD
from libpysal.weights import lat2W

from territorial import balance


def test_theil_all_in_one_unit_is_ln_n():
    assert balance.theil([2, 0, 0, 0], [1, 1, 1, 1]).total == pytest.approx(math.log(4))


def test_theil_is_zero_when_facilities_follow_population():
    assert balance.theil([1, 2, 3], [100, 200, 300]).total == pytest.approx(0.0, abs=1e-15)


def test_theil_decomposition_by_hand():
    t = balance.theil([3, 1, 0, 0], [1, 1, 1, 1], ["A", "A", "B", "B"])
    assert t.total == pytest.approx(0.75 * math.log(3))
    assert t.between == pytest.approx(math.log(2))
    assert t.within == pytest.approx(0.75 * math.log(1.5) + 0.25 * math.log(0.5))
    assert t.by_group["theil_interne"].tolist() == pytest.approx([0.75 * math.log(1.5) + 0.25 * math.log(0.5), 0.0])


@pytest.mark.parametrize("seed", range(5))
def test_theil_decomposition_identity(seed):
    rng = np.random.default_rng(seed)
    counts = rng.poisson(0.4, 300)
    population = rng.integers(50, 50_000, 300)
    groups = rng.choice(list("ABCDE"), 300)
    t = balance.theil(counts, population, groups)
    assert abs(t.total - (t.between + t.within)) < 1e-12
    assert t.total >= 0 and t.between >= 0 and t.within >= 0


def test_theil_equals_pysal_with_equal_populations():
    rng = np.random.default_rng(3)
    y = rng.integers(1, 20, 40).astype(float)
    groups = np.repeat(np.arange(4), 10)
    ours = balance.theil(y, np.ones_like(y), groups)
    theirs = TheilD(y, groups)
    assert ours.total == pytest.approx(PysalTheil(y).T)
    assert ours.between == pytest.approx(float(np.squeeze(theirs.bg)))
    assert ours.within == pytest.approx(float(np.squeeze(theirs.wg)))


def test_theil_refuses_facilities_without_people():
    with pytest.raises(ValueError, match="no population"):
        balance.theil([1, 0], [0, 10])


def test_theil_bootstrap_interval_holds_the_estimate():
    rng = np.random.default_rng(1)
    counts, population = rng.poisson(1.0, 200), rng.integers(100, 10_000, 200)
    groups = rng.choice(list("AB"), 200)
    table = balance.theil_bootstrap(counts, population, groups, n_boot=200, seed=2)
    assert (table["low"] <= table["value"]).all() and (table["value"] <= table["high"]).all()
    again = balance.theil_bootstrap(counts, population, groups, n_boot=200, seed=2)
    assert table.equals(again)  # seeded


@pytest.mark.parametrize(
    ("values", "weights", "expected"),
    [([1, 1, 1, 1], None, 0.0), ([0, 0, 0, 1], None, 0.75), ([0, 1], [3, 1], 0.75), ([1, 2, 3], None, 2 / 9)],
)
def test_weighted_gini_known_answers(values, weights, expected):
    assert balance.weighted_gini(values, weights) == pytest.approx(expected)


@pytest.mark.parametrize("seed", range(5))
def test_weighted_gini_equals_pysal_and_replication(seed):
    rng = np.random.default_rng(seed)
    x = rng.gamma(2.0, 3.0, 50)
    assert balance.weighted_gini(x) == pytest.approx(Gini(x).g)
    w = rng.integers(1, 5, 50)
    assert balance.weighted_gini(x, w) == pytest.approx(Gini(np.repeat(x, w)).g)
    assert 0.0 <= balance.weighted_gini(x, w) < 1.0


def test_weighted_cv():
    assert balance.weighted_cv([1, 3]) == pytest.approx(0.5)
    assert balance.weighted_cv([1, 3], [3, 1]) == pytest.approx(math.sqrt(0.75) / 1.5)


def test_lorenz_curve():
    curve = balance.lorenz([0, 2], [1, 1])
    assert curve["part_population"].tolist() == [0.0, 0.5, 1.0]
    assert curve["part_equipements"].tolist() == [0.0, 0.0, 1.0]


def test_fair_share():
    assert balance.fair_share([1, 3], target=200).tolist() == [50, 150]
    assert balance.fair_share([1, 3], target=200, priority=[2, 1]).tolist() == [80, 120]


def test_moran_on_a_checkerboard_is_minus_one():
    weights = lat2W(4, 4, rook=True)
    weights.transform = "r"
    values = np.indices((4, 4)).sum(axis=0).ravel() % 2
    result = balance.moran(values.astype(float), weights, permutations=99)
    assert result.i == pytest.approx(-1.0)
    assert result.expected == pytest.approx(-1 / 15)
    assert result.p_value < 0.01

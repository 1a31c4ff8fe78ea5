"""Known answers for distances, coverage and 2SFCA on tiny synthetic geometries."""

from __future__ import annotations

import math

import numpy as np
import pytest
from shapely.geometry import box

from territorial import coverage


def test_nearest_distance():
    distance, index = coverage.nearest_distance([(0, 0), (10, 0)], [(3, 4), (100, 100)])
    assert distance.tolist() == pytest.approx([5.0, math.hypot(7, 4)])
    assert index.tolist() == [0, 0]
    detoured, _ = coverage.nearest_distance([(0, 0)], [(3, 4)], detour=1.3)
    assert detoured[0] == pytest.approx(6.5)
    none, idx = coverage.nearest_distance([(0, 0)], np.empty((0, 2)))
    assert np.isinf(none).all() and idx.tolist() == [-1]
    with pytest.raises(ValueError, match="detour"):
        coverage.nearest_distance([(0, 0)], [(1, 1)], detour=0.9)


def test_area_share_quarter_disc():
    square = box(0, 0, 10, 10)
    share = coverage.covered_share_of_area([square], [(0, 0)], 10, quad_segs=64)
    assert share[0] == pytest.approx(math.pi / 4, rel=1e-3)


def test_area_share_union_not_sum():
    square = box(0, 0, 10, 10)
    twice = coverage.covered_share_of_area([square], [(0, 0), (0, 0)], 10, quad_segs=64)
    assert twice[0] == pytest.approx(math.pi / 4, rel=1e-3)


def test_area_share_inside_and_outside():
    polygons = [box(0, 0, 10, 10), box(1000, 1000, 1010, 1010)]
    shares = coverage.covered_share_of_area(polygons, [(5, 5)], 100)
    assert shares.tolist() == [1.0, 0.0]
    assert coverage.covered_share_of_area(polygons, np.empty((0, 2)), 100).tolist() == [0.0, 0.0]


def test_coverage_zone_area():
    zone = coverage.coverage_zone([(0, 0), (10_000, 0)], 1000, quad_segs=64)
    assert zone.area == pytest.approx(2 * math.pi * 1e6, rel=1e-3)


ORIGINS = [(0, 0), (10, 0)]
POPULATION = [100, 300]
FACILITIES = [(1, 0), (9, 0)]
CAPACITY = [10, 20]


def test_2sfca_separate_catchments():
    access = coverage.two_step_fca(ORIGINS, POPULATION, FACILITIES, CAPACITY, radius=5)
    assert access.tolist() == pytest.approx([10 / 100, 20 / 300])


def test_2sfca_shared_catchments_conserve_capacity():
    access = coverage.two_step_fca(ORIGINS, POPULATION, FACILITIES, CAPACITY, radius=10)
    assert access.tolist() == pytest.approx([0.075, 0.075])
    assert float(np.dot(POPULATION, access)) == pytest.approx(sum(CAPACITY))


def test_enhanced_2sfca_stepwise_decay():
    access = coverage.two_step_fca(ORIGINS, POPULATION, FACILITIES, CAPACITY, radius=12, steps=coverage.E2SFCA_STEPS)
    r1, r2 = 10 / (100 * 1 + 300 * 0.22), 20 / (100 * 0.22 + 300 * 1)
    assert access.tolist() == pytest.approx([r1 + 0.22 * r2, 0.22 * r1 + r2])


def test_2sfca_facility_at_the_origin_counts():
    access = coverage.two_step_fca([(0, 0)], [50], [(0, 0)], [5], radius=1)
    assert access.tolist() == pytest.approx([0.1])


def test_2sfca_refuses_unknown_capacity():
    with pytest.raises(ValueError, match="capacity"):
        coverage.two_step_fca(ORIGINS, POPULATION, FACILITIES, [10, np.nan], radius=5)

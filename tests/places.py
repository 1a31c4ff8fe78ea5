"""Facilities placed on town halls, for the tests that need a known set of places."""

from __future__ import annotations

import geopandas as gpd

import territorial


def at_town_halls(codes, kind, **extra):
    """One facility of ``kind`` at the town hall of each INSEE code, in Lambert-93, with ``extra`` columns."""
    halls = territorial.town_halls().set_index("code_insee")
    return gpd.GeoDataFrame(
        {"code_insee": list(codes), "kind": kind, **extra},
        geometry=halls.geometry.reindex(list(codes)).to_numpy(),
        crs=2154,
    )

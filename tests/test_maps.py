"""Maps: topological display simplification and the territories map."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import Polygon

import territorial
from territorial.maps import web_geometry

HOSTILE = "<script>alert(1)</script> \"quoted\" 'single' `back`"


def zigzag_pair():
    """Two 10 km squares sharing a zigzag edge with 20 m teeth (Lambert-93 around Lille)."""
    x0, y0, size = 700_000.0, 7_050_000.0, 10_000.0
    edge = [(x0 + size + (20.0 if i % 2 else 0.0), y0 + i * 100.0) for i in range(101)]
    left = Polygon([(x0, y0), *edge, (x0, y0 + size)])
    right = Polygon([*edge, (x0 + 2 * size, y0 + size), (x0 + 2 * size, y0)][::-1])
    return gpd.GeoDataFrame({"name": ["left", "right"]}, geometry=[left, right], crs=2154)


def test_web_geometry_keeps_neighbours_without_gaps_or_overlaps():
    pair = zigzag_pair()
    web = web_geometry(pair, tolerance_m=100.0)
    assert web.crs.to_epsg() == 4326
    back = web.to_crs(2154)
    assert (
        shapely.get_num_coordinates(back.geometry.to_numpy()).sum()
        < shapely.get_num_coordinates(pair.geometry.to_numpy()).sum() / 5
    )
    left, right = back.geometry
    assert left.intersection(right).area < 1.0  # m², rounding only
    union = shapely.union_all([left, right])
    assert union.geom_type == "Polygon" and len(union.interiors) == 0
    assert union.area == pytest.approx(pair.area.sum(), rel=1e-4)


def test_web_geometry_rounds_coordinates():
    web = web_geometry(zigzag_pair(), decimals=4)
    coords = shapely.get_coordinates(web.geometry.to_numpy())
    assert (abs(coords * 1e4 - (coords * 1e4).round()) < 1e-6).all()


def test_web_geometry_refuses_a_frame_without_crs():
    with pytest.raises(ValueError, match="`frame` has no CRS"):
        web_geometry(zigzag_pair().set_crs(None, allow_override=True))


def test_territories_map_has_french_tooltips_and_sources(default_territories):
    html = territorial.territories_map(default_territories).get_root().render()
    for name in territorial.CPER2000_TERRITORIES:
        assert name in html
    for alias in ("Population municipale", "Superficie", "Densité", "Communes"):
        assert json.dumps(alias) in html  # tooltip aliases are written as JSON
    assert json.dumps("1\u202f268\u202f900") in html  # population of the Métropole, French formatting
    assert "populations légales 2023" in html.lower() or "population municipale légale 2023" in html
    assert "Licence Ouverte" in html


def test_user_text_is_escaped_in_the_map(communes):
    mapping = dict(zip(communes["code_insee"], communes["departement"].map({"59": HOSTILE, "62": "Pas-de-Calais"})))
    frame = territorial.territories(mapping)
    html = territorial.territories_map(frame, title=f"Titre {HOSTILE}").get_root().render()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&#39;single&#39; `back`" in html
    assert "&#34;quoted&#34;" in html


def test_save_map_writes_atomically(tmp_path, default_territories):
    path = territorial.save_map(territorial.territories_map(default_territories), tmp_path / "out" / "t.html")
    assert path.is_file() and path.stat().st_size > 10_000
    assert [p.name for p in path.parent.iterdir()] == ["t.html"]

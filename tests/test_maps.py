"""Maps: topological display simplification and the territories map."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
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


def test_every_indicator_the_error_message_advertises_draws(example):
    # the list an unknown --indicator prints is exactly the drawable columns: each of them makes a map
    from territorial._errors import ArgumentError
    from territorial.maps import checked_indicators, coverage_map, render_map

    facilities, analysis = example
    with pytest.raises(ArgumentError) as caught:
        checked_indicators(analysis, "territoire", None)
    advertised = re.findall(r"'([^']+)'", str(caught.value).split("choose among", 1)[1])
    assert "dist_cyber_centre_km" in advertised and "territoire" not in advertised and "epci_nom" not in advertised
    for indicator in advertised:
        page = render_map(coverage_map(analysis, facilities, indicator=indicator))
        assert "Communes : " in page, indicator


def test_shares_are_classed_in_percent_with_no_empty_class_and_the_method_named():
    from territorial.maps import class_breaks

    values = np.array([0.12, 0.395, 0.41, 0.77, 0.9])
    breaks = class_breaks(values, k=5, scheme="equal_interval", percent=True)
    counts = np.bincount(breaks.classify(values), minlength=len(breaks.bins))
    assert (counts > 0).all()  # equal intervals leave a class empty here: it is merged, not shown empty
    assert all(label.endswith(" %") for label in breaks.labels())
    assert breaks.labels()[0].startswith("12")  # 0,12 shown as 12 %
    assert breaks.method_label.startswith("classes : intervalles égaux")
    assert breaks.value(0.395) == "39,5 %"  # one decimal more than the classes' bounds


def test_territory_outlines_have_no_slivers(communes):
    from territorial.maps import territory_outlines

    outlines = territory_outlines(communes)
    assert len(outlines) == 5
    web = communes.to_crs(4326)
    for territory, geometry in zip(outlines["territoire"], outlines.geometry):
        for part in getattr(geometry, "geoms", [geometry]):
            for ring in part.interiors:  # the stray dashes inside Métropole and Sud Nord were holes of a few m²
                inside = web[web.contains(shapely.Polygon(ring).representative_point())]
                assert len(inside) == 1 and inside["territoire"].iloc[0] != territory  # an enclave (Boursies)

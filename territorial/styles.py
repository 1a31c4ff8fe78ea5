"""QGIS styles (QML) and OGC SLD for the exported layers.

Choropleth styles use the same :class:`territorial.maps.ClassBreaks` as the HTML legend
and the report's static maps, so the three audiences see the same classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

__all__ = ["LayerStyle", "graduated_style", "single_style", "qml", "sld"]

QGIS_VERSION = "3.34.0"


@dataclass(frozen=True)
class LayerStyle:
    """How one layer is drawn: a single symbol, or graduated classes of an attribute."""

    geometry: str  # "fill", "marker" or "line"
    colour: str = "#3182bd"
    outline: str = "#555555"
    opacity: float = 1.0
    size: float = 2.6
    attribute: str | None = None
    ranges: tuple[tuple[float, float, str, str], ...] = ()  # (lower, upper, colour, label)
    title: str = ""


def graduated_style(attribute: str, breaks, *, geometry: str = "fill", title: str = "") -> LayerStyle:
    """Classes of ``attribute`` from a :class:`~territorial.maps.ClassBreaks`."""
    edges = [breaks.lower, *breaks.bins]
    ranges = tuple(
        (lo, hi, colour, label) for lo, hi, colour, label in zip(edges[:-1], edges[1:], breaks.colours, breaks.labels())
    )
    return LayerStyle(geometry=geometry, attribute=attribute, ranges=ranges, title=title)


def single_style(
    geometry: str, colour: str, *, outline: str = "#555555", opacity: float = 1.0, size: float = 2.6, title: str = ""
) -> LayerStyle:
    """One symbol for every feature."""
    return LayerStyle(geometry=geometry, colour=colour, outline=outline, opacity=opacity, size=size, title=title)


def _rgba(colour: str, opacity: float = 1.0) -> str:
    colour = colour.lstrip("#")
    r, g, b = (int(colour[i : i + 2], 16) for i in (0, 2, 4))
    return f"{r},{g},{b},{round(255 * opacity)}"


def _option(name: str, value) -> str:
    return f'<Option type="QString" name={quoteattr(name)} value={quoteattr(str(value))}/>'


def _symbol(style: LayerStyle, name: str, colour: str) -> str:
    if style.geometry == "marker":
        layer_class, options = (
            "SimpleMarker",
            {
                "name": "circle",
                "color": _rgba(colour, style.opacity),
                "outline_color": _rgba(style.outline),
                "outline_width": "0.3",
                "size": style.size,
                "size_unit": "MM",
            },
        )
    elif style.geometry == "line":
        layer_class, options = "SimpleLine", {"line_color": _rgba(colour, style.opacity), "line_width": "0.5"}
    else:
        layer_class, options = (
            "SimpleFill",
            {
                "color": _rgba(colour, style.opacity),
                "style": "solid",
                "outline_color": _rgba(style.outline),
                "outline_style": "solid",
                "outline_width": "0.15",
                "outline_width_unit": "MM",
            },
        )
    body = "".join(_option(k, v) for k, v in options.items())
    return (
        f'<symbol type="{style.geometry}" name={quoteattr(name)} alpha="1" clip_to_extent="1" force_rhr="0">'
        f'<layer class="{layer_class}" enabled="1" pass="0" locked="0"><Option type="Map">{body}</Option>'
        "</layer></symbol>"
    )


def qml(style: LayerStyle) -> str:
    """The QGIS style document (``.qml``) of a layer."""
    if style.attribute:
        ranges = "".join(
            f'<range lower="{lo!r}" upper="{hi!r}" symbol="{i}" label={quoteattr(label)} render="true"/>'
            for i, (lo, hi, _, label) in enumerate(style.ranges)
        )
        symbols = "".join(_symbol(style, str(i), colour) for i, (_, _, colour, _) in enumerate(style.ranges))
        renderer = (
            f'<renderer-v2 type="graduatedSymbol" attr={quoteattr(style.attribute)} '
            'graduatedMethod="GraduatedColor" symbollevels="0" enableorderby="0" forceraster="0">'
            f"<ranges>{ranges}</ranges><symbols>{symbols}</symbols>"
            '<mode name="manual"/></renderer-v2>'
        )
    else:
        renderer = (
            '<renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0" forceraster="0">'
            f"<symbols>{_symbol(style, '0', style.colour)}</symbols></renderer-v2>"
        )
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
        f'<qgis version="{QGIS_VERSION}" styleCategories="Symbology">{renderer}</qgis>'
    )


def _sld_symbolizer(style: LayerStyle, colour: str) -> str:
    if style.geometry == "marker":
        return (
            "<se:PointSymbolizer><se:Graphic><se:Mark><se:WellKnownName>circle</se:WellKnownName>"
            f'<se:Fill><se:SvgParameter name="fill">{colour}</se:SvgParameter></se:Fill>'
            f'<se:Stroke><se:SvgParameter name="stroke">{style.outline}</se:SvgParameter></se:Stroke>'
            f"</se:Mark><se:Size>{round(style.size * 3.78, 1)}</se:Size></se:Graphic></se:PointSymbolizer>"
        )
    return (
        "<se:PolygonSymbolizer>"
        f'<se:Fill><se:SvgParameter name="fill">{colour}</se:SvgParameter>'
        f'<se:SvgParameter name="fill-opacity">{style.opacity}</se:SvgParameter></se:Fill>'
        f'<se:Stroke><se:SvgParameter name="stroke">{style.outline}</se:SvgParameter>'
        '<se:SvgParameter name="stroke-width">0.5</se:SvgParameter></se:Stroke></se:PolygonSymbolizer>'
    )


def sld(style: LayerStyle, layer: str) -> str:
    """The OGC SLD 1.1 document of a layer (same classes as the QML)."""
    if style.attribute:
        name = escape(style.attribute)
        rules = "".join(
            f"<se:Rule><se:Name>{escape(label)}</se:Name><ogc:Filter><ogc:And>"
            f"<ogc:PropertyIsGreaterThanOrEqualTo><ogc:PropertyName>{name}</ogc:PropertyName>"
            f"<ogc:Literal>{lo!r}</ogc:Literal></ogc:PropertyIsGreaterThanOrEqualTo>"
            f"<ogc:PropertyIsLessThanOrEqualTo><ogc:PropertyName>{name}</ogc:PropertyName>"
            f"<ogc:Literal>{hi!r}</ogc:Literal></ogc:PropertyIsLessThanOrEqualTo>"
            f"</ogc:And></ogc:Filter>{_sld_symbolizer(style, colour)}</se:Rule>"
            for lo, hi, colour, label in style.ranges
        )
    else:
        name = escape(style.title or layer)
        rules = f"<se:Rule><se:Name>{name}</se:Name>{_sld_symbolizer(style, style.colour)}</se:Rule>"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<StyledLayerDescriptor version="1.1.0" xmlns="http://www.opengis.net/sld" '
        'xmlns:se="http://www.opengis.net/se" xmlns:ogc="http://www.opengis.net/ogc" '
        'xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<NamedLayer><se:Name>{escape(layer)}</se:Name><UserStyle><se:Name>{escape(layer)}</se:Name>"
        f"<se:FeatureTypeStyle>{rules}</se:FeatureTypeStyle></UserStyle></NamedLayer></StyledLayerDescriptor>"
    )

"""Page furniture of the HTML maps: a side panel docked beside the map, French controls, legends, search.

The panel (``#panneau``) holds the title, the commune search, the layer list (Leaflet's layer
control, moved into it when the page opens), one legend per layer — shown while its layer is
on — and the sources. The map takes the rest of the window, so no box ever covers the region;
only Leaflet's small zoom, full-screen, scale and mini-map buttons sit in the map's corners,
where the fitted region leaves room for them.

Every template and script here is the project's own constant; user text reaches the page
only as escaped values (:func:`territorial._page.text`) or, in scripts, through ``textContent``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import branca
import folium
from branca.element import Element, Figure, MacroElement

from territorial._page import Dock, Markup, script_json, snippet, template

__all__ = ["DOCK_CSS", "Legend", "Layout", "YearControl", "dock", "french_controls", "layer_control"]

#: Width of the side panel in pixels (narrower on a laptop screen).
PANEL_WIDTH, PANEL_WIDTH_NARROW = 300, 250
DOCK_CSS = (
    "html,body{margin:0;height:100%}"
    f".folium-map{{position:absolute!important;top:0!important;bottom:0;right:0;left:{PANEL_WIDTH}px!important;"
    "width:auto!important;height:auto!important}"
    f"#panneau{{position:fixed;top:0;left:0;bottom:0;width:{PANEL_WIDTH}px;box-sizing:border-box;overflow-y:auto;"
    "background:#fff;box-shadow:1px 0 5px rgba(0,0,0,.35);padding:8px 12px;font:12px/1.4 sans-serif;color:#222;"
    "z-index:1000}"
    f"@media (max-width:1100px){{ #panneau{{width:{PANEL_WIDTH_NARROW}px}}"
    f".folium-map{{left:{PANEL_WIDTH_NARROW}px!important}}}}"
    "#panneau h1{font-size:14px;margin:2px 0 6px}"
    "#panneau h2{font-size:11px;margin:12px 0 4px;text-transform:uppercase;color:#555;letter-spacing:.04em;"
    "border-bottom:1px solid #ddd}"
    "#panneau .leaflet-control-layers{box-shadow:none;border:0;margin:0;padding:0;background:none;float:none;"
    "font:inherit}"
    "#panneau .leaflet-control-layers label{margin:2px 0}"
    "#panneau .territorial-legend{margin:0 0 8px}"
    "#panneau .methode{color:#555;font-size:11px}"
    "#recherche input{width:100%;box-sizing:border-box;padding:4px 6px;font:inherit}"
    "#recherche ul{list-style:none;margin:2px 0 0;padding:0}"
    "#recherche li{cursor:pointer;padding:2px 4px}"
    "#recherche li:hover,#recherche li:focus{background:#e8eef6}"
    "#recherche-message{color:#b30000}"
    "#sources{font-size:11px;color:#555}"
    "#donnees-exemple{color:#b30000;font-weight:bold;margin:0 0 6px}"
)


@dataclass(frozen=True)
class Legend:
    """One legend block of the panel, tied to a layer (``None``: always shown)."""

    element_id: str
    content: Markup
    layer: object | None = None
    shown: bool = True


@dataclass
class Layout:
    """What the side panel of a map will hold, gathered while the layers are built."""

    title: str
    example: bool = False
    sources: Markup = Markup("")
    legends: list[Legend] = field(default_factory=list)
    years: list[int] = field(default_factory=list)  # a year slider in the panel when given

    def legend(self, element_id: str, content: Markup, layer=None, *, shown: bool = True) -> None:
        self.legends.append(Legend(element_id, content, layer, shown))


class _LegendToggle(MacroElement):
    """Shows a legend block while its layer is on the map and hides it while the layer is off (ids only)."""

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


class _FrenchControls(MacroElement):
    """Zoom buttons with French titles, a metric-only scale and a French attribution prefix."""

    _template = template("""
        {% macro script(this, kwargs) %}
        L.control.zoom({position: 'topleft', zoomInTitle: 'Zoom avant', zoomOutTitle: 'Zoom arrière'}).addTo({{ this.map_name }});
        L.control.scale({position: 'bottomleft', metric: true, imperial: false}).addTo({{ this.map_name }});
        {{ this.map_name }}.attributionControl.setPrefix('<a href="https://leafletjs.com" title="Bibliothèque cartographique Leaflet">Leaflet</a>');
        {% endmacro %}
    """)

    def __init__(self, fmap):
        super().__init__()
        self.map_name = fmap.get_name()


def french_controls(fmap) -> None:
    """Add the zoom buttons and the scale (the map is created without Leaflet's English defaults)."""
    _FrenchControls(fmap).add_to(fmap)


class _LayerControlInFrench(MacroElement):
    """Leaflet writes « Layers » on the layer control's button: said in French, and the control moved into the
    panel's « Couches » section when there is one."""

    _template = template("""
        {% macro script(this, kwargs) %}
        (function () {
            var container = {{ this.control_name }}.getContainer();
            container.querySelectorAll('.leaflet-control-layers-toggle').forEach(function (e) {
                e.title = 'Couches'; e.setAttribute('aria-label', 'Couches');
            });
            var section = {{ this.dock|tojson }} ? document.getElementById('couches') : null;
            if (section) { section.appendChild(container); }
        })();
        {% endmacro %}
    """)

    def __init__(self, control, *, dock: bool):
        super().__init__()
        self.control_name, self.dock = control.get_name(), dock


def layer_control(fmap, *, docked: bool, collapsed: bool = False, position: str = "topright") -> None:
    """Leaflet's layer control, its button titled in French; ``docked``: moved into the side panel.

    Add it last: a layer control lists the layers already on its map.
    """
    control = folium.LayerControl(collapsed=collapsed, position=position)
    control.add_to(fmap)
    _LayerControlInFrench(control, dock=docked).add_to(fmap)


class _CommuneSearch(MacroElement):
    """Commune search in the panel: accents, case, hyphens and « Saint »/« St » ignored; Enter takes the best match.

    Names are read from the commune layer's features (escaped text, decoded by the browser) and
    shown with ``textContent``: nothing typed or read is ever parsed as HTML.
    """

    _template = template("""
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this.map_name }}, layer = {{ this.layer_name }};
            var input = document.getElementById('recherche-commune');
            var list = document.getElementById('recherche-resultats');
            var message = document.getElementById('recherche-message');
            var decoder = document.createElement('textarea');
            function plain(html) { decoder.innerHTML = html; return decoder.value; }
            function key(s) {
                return s.normalize('NFD').replace(/[\\u0300-\\u036f]/g, '').toLowerCase()
                    .replace(/œ/g, 'oe').replace(/æ/g, 'ae').replace(/[^a-z0-9]+/g, ' ')
                    .replace(/\\bsainte\\b/g, 'ste').replace(/\\bsaint\\b/g, 'st').trim();
            }
            var entries = [];
            var count = {};
            layer.eachLayer(function (l) {
                var name = plain(l.feature.properties.commune);
                count[name] = (count[name] || 0) + 1;
                entries.push({name: name, where: plain(l.feature.properties.t || ''), key: key(name),
                              tight: key(name).replace(/ /g, ''), layer: l});
            });
            // homonyms (Saint-Aubin in the Nord and in the Pas-de-Calais) are told apart by their territory
            entries.forEach(function (e) { e.shown = count[e.name] > 1 && e.where ? e.name + ' (' + e.where + ')' : e.name; });
            var marked = null, label = null;
            function byName(a, b) { return a.name.localeCompare(b.name, 'fr'); }
            function find(text) {
                // « villeneuve dascq » finds Villeneuve-d'Ascq: words are also compared without their spaces
                var q = key(text), qt = q.replace(/ /g, ''), exact = [], start = [], inside = [];
                if (!q) { return []; }
                entries.forEach(function (e) {
                    if (e.key === q || e.tight === qt) { exact.push(e); }
                    else if (e.key.indexOf(q) === 0 || e.tight.indexOf(qt) === 0) { start.push(e); }
                    else if (e.key.indexOf(' ' + q) > 0) { inside.push(e); }
                });
                return exact.sort(byName).concat(start.sort(byName), inside.sort(byName));
            }
            function go(e) {
                // zoom to the commune, outline it and name it (as text: nothing read is parsed as HTML)
                list.innerHTML = ''; message.textContent = ''; input.value = e.shown;
                map.fitBounds(e.layer.getBounds(), {maxZoom: 12});
                if (marked) { map.removeLayer(marked); }
                if (label) { map.removeLayer(label); }
                marked = L.geoJSON(e.layer.toGeoJSON(), {interactive: false,
                    style: {color: '#000', weight: 3, fill: false, className: 'commune-trouvee'}}).addTo(map);
                var name = document.createElement('b'); name.textContent = e.shown;
                label = L.tooltip({permanent: true, direction: 'top', className: 'commune-trouvee'})
                    .setLatLng(e.layer.getBounds().getCenter()).setContent(name).addTo(map);
                window.__territorial_found = e.name;
            }
            function show(found) {
                list.innerHTML = '';
                found.slice(0, 8).forEach(function (e) {
                    var item = document.createElement('li');
                    item.textContent = e.shown; item.tabIndex = 0;
                    item.addEventListener('click', function () { go(e); });
                    item.addEventListener('keydown', function (ev) { if (ev.key === 'Enter') { go(e); } });
                    list.appendChild(item);
                });
            }
            input.addEventListener('input', function () {
                message.textContent = '';
                show(input.value.trim() ? find(input.value) : []);
            });
            input.addEventListener('keydown', function (ev) {
                if (ev.key !== 'Enter') { return; }
                ev.preventDefault();
                var found = find(input.value);
                if (found.length) { go(found[0]); }
                else if (input.value.trim()) { list.innerHTML = ''; message.textContent = 'Commune introuvable : ' + input.value.trim(); }
            });
        })();
        {% endmacro %}
    """)

    def __init__(self, fmap, layer):
        super().__init__()
        self.map_name, self.layer_name = fmap.get_name(), layer.get_name()


class YearControl(MacroElement):
    """The panel's year slider: facilities open on 31 December of the year chosen, and that year's commune values.

    Each facility feature carries ``o`` and ``f`` (opening and closing years, ``null`` if unknown); each
    commune feature, with ``data.yearly``, ``dy`` (that year's value, one per year). The last position of
    the slider is the file as analysed. Classes are the legend's (``data.bins``, ``data.colours``); texts
    are written with ``textContent``.
    """

    _template = template("""
        {% macro script(this, kwargs) %}
        (function () {
            var data = {{ this.data }}, communes = {{ this.commune_layer }};
            var groups = [{% for g in this.groups %}{kind: {{ g[0]|tojson }}, layer: {{ g[1] }}, host: {{ g[2] }}},{% endfor %}];
            var input = document.getElementById('annee-curseur'), label = document.getElementById('annee-valeur');
            var status = document.getElementById('annee-etat');
            document.getElementById('annee-note').textContent = data.note;
            groups.forEach(function (g) { g.markers = []; g.layer.eachLayer(function (m) { g.markers.push(m); }); });
            communes.eachLayer(function (l) { var p = l.feature.properties; p.v0 = p.v; p.c0 = p.c; });
            var base = communes.options.style;
            communes.options.style = function (f) {
                var s = Object.assign({}, typeof base === 'function' ? base(f) : base), c = f.properties.c;
                s.fillColor = c >= 0 ? data.colours[c] : '#cccccc';
                return s;
            };
            function known(v) { return v !== null && v !== undefined; }
            function isOpen(p, year) {
                if (year === null) { return true; }
                return (known(p.o) ? p.o <= year : data.undated) && (!known(p.f) || p.f > year);
            }
            function classOf(d) {
                if (!known(d)) { return -1; }
                for (var i = 0; i < data.bins.length; i++) { if (d <= data.bins[i]) { return i; } }
                return data.bins.length - 1;
            }
            function written(d) {
                if (!known(d)) { return '—'; }
                return d.toLocaleString('fr-FR', {minimumFractionDigits: data.decimals, maximumFractionDigits: data.decimals})
                    + (data.unit ? ' ' + data.unit : '');
            }
            function show(index) {
                var year = index < data.years.length ? data.years[index] : null, said = [];
                groups.forEach(function (g) {
                    var n = 0;
                    g.markers.forEach(function (m) {
                        var on = isOpen(m.feature.properties, year);
                        if (on) { n++; }
                        if (on && !g.host.hasLayer(m)) { g.host.addLayer(m); }
                        if (!on && g.host.hasLayer(m)) { g.host.removeLayer(m); }
                    });
                    said.push(n.toLocaleString('fr-FR') + ' ' + data.labels[g.kind]);
                });
                if (data.yearly) {
                    communes.eachLayer(function (l) {
                        var p = l.feature.properties;
                        if (year === null) { p.v = p.v0; p.c = p.c0; } else { p.v = written(p.dy[index]); p.c = classOf(p.dy[index]); }
                        communes.resetStyle(l);
                    });
                }
                label.textContent = year === null ? 'Fichier entier (état analysé)' : 'Au 31 décembre ' + year;
                status.textContent = said.join(', ') + (year === null ? '' : ' ouverts');
            }
            input.addEventListener('input', function () { show(Number(input.value)); });
            show(Number(input.value));
        })();
        {% endmacro %}
    """)

    def __init__(self, commune_layer: MacroElement, groups: Sequence[tuple[str, Element, Element]], data: dict):
        super().__init__()
        self._name = "YearControl"
        self.commune_layer = commune_layer.get_name()
        self.groups = [(kind, layer.get_name(), host.get_name()) for kind, layer, host in groups]
        self.data = script_json(data)


_PANEL = """<h1>{{ title }}</h1>
{% if example %}<div id="donnees-exemple">DONNÉES D'EXEMPLE — fictives, aucune valeur réelle</div>{% endif %}
{% if search %}<section id="recherche"><input type="search" id="recherche-commune" autocomplete="off"
 placeholder="Rechercher une commune" aria-label="Rechercher une commune">
<ul id="recherche-resultats"></ul><div id="recherche-message" role="status"></div></section>{% endif %}
{% if years %}<h2>Année</h2><section id="annee"><label for="annee-curseur" id="annee-valeur">Fichier entier
(état analysé)</label><input type="range" id="annee-curseur" min="0" max="{{ years|length }}" step="1"
 value="{{ years|length }}" aria-label="Année : {{ years[0] }} à {{ years[-1] }}, puis le fichier entier"
 style="width:100%"><div class="methode"><span>{{ years[0] }}</span><span style="float:right">fichier</span></div>
<div id="annee-etat" role="status"></div><div id="annee-note" class="methode"></div></section>{% endif %}
<h2>Couches</h2><section id="couches"></section>
<h2>Légende</h2><section id="legendes">{% for legend in legends %}<div id="{{ legend.element_id }}"
 class="territorial-legend" style="display:{{ 'block' if legend.shown else 'none' }}">{{ legend.content }}</div>
{% endfor %}</section>
<h2>Sources</h2><section id="sources">{{ sources }}</section>"""


def dock(fmap: folium.Map, layout: Layout, *, search_layer=None) -> None:
    """Write the side panel, move the layer control into it and tie each legend to its layer.

    Call it last, once every layer is on the map (the layer control lists the layers present).
    """
    root = fmap.get_root()
    assert isinstance(root, Figure)
    root.header.add_child(branca.element.Element("<style>" + DOCK_CSS + "</style>"))
    content = snippet(
        _PANEL,
        title=layout.title,
        example=layout.example,
        search=search_layer is not None,
        legends=layout.legends,
        sources=layout.sources,
        years=layout.years,
    )
    root.html.add_child(Dock(content))
    for legend in layout.legends:
        if legend.layer is not None:
            _LegendToggle(fmap, legend.layer, element_id=legend.element_id).add_to(fmap)
    layer_control(fmap, docked=True)
    if search_layer is not None:
        _CommuneSearch(fmap, search_layer).add_to(fmap)

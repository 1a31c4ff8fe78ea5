"""Open a page in headless Chromium with no network and read what the page itself reports.

A probe is added to a copy of the page: it records script errors from the first line,
then, once the page has loaded, opens every popup and tooltip (so their HTML is parsed)
and writes what it finds as base64 JSON into the DOM, which ``--dump-dom`` returns.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = next(
    (p for p in (shutil.which("chromium"), shutil.which("chromium-browser"), shutil.which("google-chrome")) if p), None
)

HEAD_PROBE = """<script>window.__errors=[];window.addEventListener('error',function(e){
window.__errors.push(String(e.message||e.type)+' @ '+String(e.filename||(e.target&&(e.target.src||e.target.href))||''));},true);
</script>"""

TAIL_PROBE = """<script>
window.addEventListener('load', function () { setTimeout(function () {
  var options = %(options)s;
  var maps = Object.keys(window).filter(function (k) { return /^map_/.test(k) && window[k] instanceof L.Map; })
                 .map(function (k) { return window[k]; });
  var map = maps[0];
  var opened = 0, texts = [];
  if (options.every_overlay) {
    // switch on every overlay of every layer control, as a user ticking every box would
    Object.keys(window).filter(function (k) { return /^layer_control_[0-9a-f]+_layers$/.test(k); })
      .forEach(function (k) {
        var control = null;
        try { control = eval(k.replace(/_layers$/, '')); } catch (e) { control = null; }
        var owner = (control && control._map) || map;
        var overlays = window[k].overlays || {};
        Object.keys(overlays).forEach(function (name) {
          if (!owner.hasLayer(overlays[name])) { owner.addLayer(overlays[name]); }
        });
      });
  }
  function leaves(layer, out) {
    // every shape and point, also those inside a group or a marker cluster
    if (layer.getLayers && !(layer instanceof L.Path) && !(layer instanceof L.Marker)) {
      layer.getLayers().forEach(function (child) { leaves(child, out); });
    } else { out.push(layer); }
    return out;
  }
  function read(e) {
    var box = e.popup || e.tooltip, element = box && box.getElement && box.getElement();
    if (element && element.textContent) { texts.push(element.textContent); }
  }
  maps.forEach(function (owner) { owner.on('popupopen tooltipopen', read); });
  maps.forEach(function (owner) {
    var seen = [];
    owner.eachLayer(function (layer) { leaves(layer, seen); });
    seen.forEach(function (layer) {
      // hover and click every shape and point, as a user would: tooltips and popups render their HTML
      var at = null, added = false;
      if (options.every_overlay && !owner.hasLayer(layer) && (layer.getLatLng || layer.getBounds)) {
        owner.addLayer(layer); added = true;
      }
      try { at = layer.getLatLng ? layer.getLatLng() : (layer.getBounds ? layer.getBounds().getCenter() : null); }
      catch (e) { at = null; }
      if (at) {
        try {
          // events propagate to the group that holds the tooltip or popup; closed after, so the next one opens anew
          layer.fire('mouseover', {latlng: at}, true); layer.fire('mouseout', {latlng: at}, true);
          layer.fire('click', {latlng: at}, true); owner.closePopup(); opened++;
        }
        catch (e) { window.__errors.push('probe: ' + e.message); }
      }
      if (added) { owner.removeLayer(layer); }
    });
  });
  function count(selector) { return document.querySelectorAll(selector).length; }
  function layout() {
    // each city: visible in its map, and under no box or button (the panel, the band, Leaflet's controls)
    var boxes = Array.prototype.filter.call(
      document.querySelectorAll('#panneau, #bandeau, .territorial-panel, .leaflet-control'),
      function (e) { var r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden'; });
    var report = [];
    maps.forEach(function (owner) {
      var frame = owner.getContainer().getBoundingClientRect();
      (options.cities || []).forEach(function (city) {
        var at = owner.latLngToContainerPoint([city.lat, city.lng]);
        var x = frame.left + at.x, y = frame.top + at.y;
        var inside = x >= frame.left && x <= frame.right && y >= frame.top && y <= frame.bottom
                     && x >= 0 && y >= 0 && x <= window.innerWidth && y <= window.innerHeight;
        var under = boxes.filter(function (e) {
          var r = e.getBoundingClientRect(); return x >= r.left && x <= r.right && y >= r.top && y <= r.bottom;
        }).map(function (e) { return e.id || e.className; });
        report.push({city: city.name, visible: inside, under: under});
      });
    });
    return report;
  }
  function words() {
    // every text, title, placeholder and label a user can read on the page's furniture
    var out = [];
    document.querySelectorAll('.leaflet-control-container *, #panneau *, #bandeau *, .territorial-panel *').forEach(function (e) {
      ['title', 'placeholder', 'aria-label', 'alt'].forEach(function (a) { if (e.getAttribute(a)) { out.push(e.getAttribute(a)); } });
      if (e.children.length === 0 && e.textContent.trim()) { out.push(e.textContent.trim()); }
    });
    return out;
  }
  function legends() {
    // for each overlay of the first layer control: is a legend block shown while it is on, and hidden while off?
    var out = {};
    var key = Object.keys(window).filter(function (k) { return /^layer_control_[0-9a-f]+_layers$/.test(k); })[0];
    if (!key) { return out; }
    var overlays = window[key].overlays || {};
    Object.keys(overlays).forEach(function (name) {
      var layer = overlays[name], was = map.hasLayer(layer);
      function visible() {
        return Array.prototype.filter.call(document.querySelectorAll('.territorial-legend'),
          function (e) { return getComputedStyle(e).display !== 'none'; }).map(function (e) { return e.id; });
      }
      if (was) { map.removeLayer(layer); }
      var off = visible(); map.addLayer(layer); var on = visible();
      if (!was) { map.removeLayer(layer); }
      out[name] = on.filter(function (id) { return off.indexOf(id) < 0; });
    });
    return out;
  }
  function years() {
    // move the panel's year slider to each position asked, as a user would; read what the map then draws
    var input = document.getElementById('annee-curseur'), out = [];
    if (!input) { return out; }
    (options.years || []).forEach(function (position) {
      input.value = String(position);
      input.dispatchEvent(new Event('input'));
      var drawn = {}, fills = {};
      document.querySelectorAll('path.equipement').forEach(function (e) {
        var kind = Array.prototype.filter.call(e.classList, function (c) { return c !== 'equipement' && c.indexOf('leaflet') !== 0; })[0];
        drawn[kind] = (drawn[kind] || 0) + 1;
      });
      document.querySelectorAll('path.commune').forEach(function (e) {
        var f = e.getAttribute('fill'); fills[f] = (fills[f] || 0) + 1;
      });
      out.push({position: position, label: document.getElementById('annee-valeur').textContent,
                status: document.getElementById('annee-etat').textContent, drawn: drawn, fills: fills,
                clusters: count('.marker-cluster')});
    });
    return out;
  }
  function shown(id) { var e = document.getElementById(id); return !!e && getComputedStyle(e).display !== 'none'; }
  var panels = Array.prototype.map.call(document.querySelectorAll('.territorial-panel, .territorial-legend'),
                                        function (e) { return e.textContent; });
  var result = {
    errors: window.__errors, pwned: !!window.__pwned, opened: opened, title: document.title,
    limits: count('path.limite'), communes: count('path.commune'), territories: count('path.territoire'),
    facilities: count('path.equipement'), clusters: count('.marker-cluster'),
    legend_communes: shown('legende-communes'), legend_territoires: shown('legende-territoires'),
    legend_equipements: shown('legende-cyber_centre'), example: !!document.getElementById('donnees-exemple'),
    layers: Array.prototype.map.call(document.querySelectorAll('.leaflet-control-layers label span'),
                                     function (s) { return s.textContent.trim(); }),
    search: count('#recherche-commune'), minimap: count('.leaflet-control-minimap'),
    fullscreen: count('.leaflet-control-fullscreen, .leaflet-control-zoom-fullscreen'),
    scale: count('.leaflet-control-scale'),
    resources: performance.getEntriesByType('resource').map(function (r) { return r.name; })
                 .filter(function (n) { return n.indexOf('data:') !== 0; }),
    injected_scripts: count('script:not([src])') - %(inline_scripts)d,
    // what a user reads: texts of the popups and tooltips opened, of the boxes and of the layer names
    texts: options.texts ? texts.concat(panels) : [],
    layout: options.cities ? layout() : [], words: options.words ? words() : [],
    legends: options.legends ? legends() : {}, searches: [], years: years()
  };
  function finish() {
    var pre = document.createElement('pre'); pre.id = 'probe'; pre.textContent = btoa(unescape(encodeURIComponent(JSON.stringify(result))));
    document.body.appendChild(pre);
  }
  function search(queries) {
    // type each query in the panel's search box and press Enter, as a user would; read where the map went
    if (!queries.length) { finish(); return; }
    var input = document.getElementById('recherche-commune');
    window.__territorial_found = null;
    input.value = queries[0];
    input.dispatchEvent(new Event('input'));
    var shown = Array.prototype.map.call(document.querySelectorAll('#recherche-resultats li'), function (li) { return li.textContent; });
    input.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', bubbles: true}));
    setTimeout(function () {
      var c = map.getCenter();
      var named = document.querySelector('.leaflet-tooltip.commune-trouvee');
      result.searches.push({query: queries[0], found: window.__territorial_found, suggestions: shown,
                            label: named ? named.textContent : null,
                            message: document.getElementById('recherche-message').textContent, lat: c.lat, lng: c.lng});
      search(queries.slice(1));
    }, 800);
  }
  search(options.search || []);
}, 300); });
</script>"""


def offline_chromium(tmp_path: Path) -> list[str]:
    """Headless Chromium with its own profile and no way to the network (a dead proxy, no name resolution)."""
    return [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--proxy-server=http://127.0.0.1:9",
        "--proxy-bypass-list=<-loopback>",
        "--host-resolver-rules=MAP * ~NOTFOUND",
    ]


def require_chromium():
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing on CI: .ci/run must install Debian's chromium")
        pytest.skip("no chromium on this machine (apt-get install chromium); CI installs it")


def probe(
    page: Path,
    tmp_path: Path,
    *,
    every_overlay: bool = False,
    texts: bool = False,
    window: str = "1280,900",
    cities: list[dict] | None = None,
    words: bool = False,
    legends: bool = False,
    search: list[str] | None = None,
    years: list[int] | None = None,
) -> dict:
    """Load ``page`` (a copy with the probe) with the network off; return the probe's findings.

    ``every_overlay`` switches every overlay of the layer controls on before hovering and
    clicking; ``texts`` returns the text of every popup, tooltip and box that was opened.
    ``window`` is the window size; ``cities`` (name, lat, lng) are checked visible and under no
    box (``layout``); ``words`` returns every text and title of the page's controls;
    ``legends`` the legend blocks each overlay shows; ``search`` types each query in the
    commune search and presses Enter (``searches``: where the map went); ``years`` moves the year
    slider to each position given (``years``: the label, the status, the facilities drawn per kind and
    the communes' fill colours at each).
    """
    require_chromium()
    html = page.read_text(encoding="utf-8")
    inline_scripts = len(re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html)) + 1  # + the head probe
    probed = html.replace("<head>", "<head>" + HEAD_PROBE, 1).replace(
        "</body>",
        TAIL_PROBE
        % {
            "inline_scripts": inline_scripts + 1,
            "options": json.dumps(
                {
                    "every_overlay": every_overlay,
                    "texts": texts,
                    "cities": cities,
                    "words": words,
                    "legends": legends,
                    "search": search or [],
                    "years": years or [],
                }
            ),
        }
        + "</body>",
        1,
    )
    target = tmp_path / f"probe_{page.name}"
    target.write_text(probed, encoding="utf-8")
    command = [
        *offline_chromium(tmp_path),
        f"--window-size={window}",
        "--virtual-time-budget=10000",
        "--dump-dom",
        target.as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180)
    match = re.search(r'<pre id="probe">(.*?)</pre>', done.stdout, re.S)
    assert match, f"the probe did not report; chromium said: {done.stderr[-2000:]}"
    return json.loads(base64.b64decode(match.group(1)).decode("utf-8"))  # base64: no HTML serialisation to undo

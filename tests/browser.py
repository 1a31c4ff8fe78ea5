"""Open a page in headless Chromium with no network and read what the page itself reports.

A probe is added to a copy of the page: it records script errors from the first line,
then, once the page has loaded, opens every popup and tooltip (so their HTML is parsed)
and writes what it finds as JSON into the DOM, which ``--dump-dom`` returns.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser"),
                             shutil.which("google-chrome")) if p), None)

HEAD_PROBE = """<script>window.__errors=[];window.addEventListener('error',function(e){
window.__errors.push(String(e.message||e.type)+' @ '+String(e.filename||(e.target&&(e.target.src||e.target.href))||''));},true);
</script>"""

TAIL_PROBE = """<script>
window.addEventListener('load', function () { setTimeout(function () {
  var maps = Object.keys(window).filter(function (k) { return /^map_/.test(k) && window[k] instanceof L.Map; });
  var map = window[maps[0]];
  var opened = 0;
  var layers = [];
  map.eachLayer(function (layer) { layers.push(layer); });
  layers.forEach(function (layer) {
    // hover and click every shape and point, as a user would: tooltips and popups render their HTML
    var at = null;
    try { at = layer.getLatLng ? layer.getLatLng() : (layer.getBounds ? layer.getBounds().getCenter() : null); }
    catch (e) { at = null; }
    if (!at) { return; }
    try { layer.fire('mouseover', {latlng: at}); layer.fire('click', {latlng: at}); opened++; }
    catch (e) { window.__errors.push('probe: ' + e.message); }
  });
  function count(selector) { return document.querySelectorAll(selector).length; }
  function shown(id) { var e = document.getElementById(id); return !!e && getComputedStyle(e).display !== 'none'; }
  var result = {
    errors: window.__errors, pwned: !!window.__pwned, opened: opened,
    limits: count('path.limite'), communes: count('path.commune'), territories: count('path.territoire'),
    facilities: count('path.equipement'), clusters: count('.marker-cluster'),
    legend_communes: shown('legende-communes'), legend_territoires: shown('legende-territoires'),
    legend_equipements: shown('legende-equipements'), example: !!document.getElementById('donnees-exemple'),
    layers: Array.prototype.map.call(document.querySelectorAll('.leaflet-control-layers label span'),
                                     function (s) { return s.textContent.trim(); }),
    search: count('.leaflet-control-search'), minimap: count('.leaflet-control-minimap'),
    fullscreen: count('.leaflet-control-fullscreen, .leaflet-control-zoom-fullscreen'),
    scale: count('.leaflet-control-scale'),
    resources: performance.getEntriesByType('resource').map(function (r) { return r.name; })
                 .filter(function (n) { return n.indexOf('data:') !== 0; }),
    injected_scripts: count('script:not([src])') - %(inline_scripts)d
  };
  var pre = document.createElement('pre'); pre.id = 'probe'; pre.textContent = JSON.stringify(result);
  document.body.appendChild(pre);
}, 300); });
</script>"""


def require_chromium():
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing on CI: .ci/run must install Debian's chromium")
        pytest.skip("no chromium on this machine (apt-get install chromium); CI installs it")


def probe(page: Path, tmp_path: Path) -> dict:
    """Load ``page`` (a copy with the probe) with the network off; return the probe's findings."""
    require_chromium()
    html = page.read_text(encoding="utf-8")
    inline_scripts = len(re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html)) + 1  # + the head probe
    probed = html.replace("<head>", "<head>" + HEAD_PROBE, 1).replace(
        "</body>", TAIL_PROBE % {"inline_scripts": inline_scripts + 1} + "</body>", 1)
    target = tmp_path / f"probe_{page.name}"
    target.write_text(probed, encoding="utf-8")
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-quic", f"--user-data-dir={tmp_path / 'profile'}",
        "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
        "--host-resolver-rules=MAP * ~NOTFOUND", "--window-size=1280,900",
        "--virtual-time-budget=20000", "--dump-dom", target.as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180)
    match = re.search(r'<pre id="probe">(.*?)</pre>', done.stdout, re.S)
    assert match, f"the probe did not report; chromium said: {done.stderr[-2000:]}"
    return json.loads(match.group(1).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
                      .replace("&quot;", '"'))

"""Inline the map's scripts and styles so a self-contained HTML map needs no network.

The files come from the npm packages pinned in the project's ``package.json``
(``npm ci`` installs them into ``node_modules``); none is committed here. They are
looked up in ``$TERRITORIAL_ASSETS`` (only there, when it is set), else in the package itself (a wheel built after
``npm ci`` carries them in ``territorial/_static``, see ``setup.py``), then ``./node_modules``,
then the checkout's ``node_modules`` (an editable install, whatever the virtual environment).
"""

from __future__ import annotations

import base64
import mimetypes
import os
import re
from pathlib import Path

from territorial._errors import TerritorialError

__all__ = ["PACKAGED", "AssetsError", "asset_files", "assets_dir", "inline_assets"]

#: Tail of each CDN address folium writes -> file of the npm package that holds the same code.
ASSETS = {
    "leaflet@1.9.3/dist/leaflet.js": "leaflet/dist/leaflet.js",
    "leaflet@1.9.3/dist/leaflet.css": "leaflet/dist/leaflet.css",
    "leaflet.markercluster/1.1.0/leaflet.markercluster.js": "leaflet.markercluster/dist/leaflet.markercluster.js",
    "leaflet.markercluster/1.1.0/MarkerCluster.css": "leaflet.markercluster/dist/MarkerCluster.css",
    "leaflet.markercluster/1.1.0/MarkerCluster.Default.css": "leaflet.markercluster/dist/MarkerCluster.Default.css",
    "leaflet.fullscreen@3.0.0/Control.FullScreen.min.js": "leaflet.fullscreen/Control.FullScreen.js",
    "leaflet.fullscreen@3.0.0/Control.FullScreen.css": "leaflet.fullscreen/Control.FullScreen.css",
    "leaflet-minimap/3.6.1/Control.MiniMap.js": "leaflet-minimap/dist/Control.MiniMap.min.js",
    "leaflet-minimap/3.6.1/Control.MiniMap.css": "leaflet-minimap/dist/Control.MiniMap.min.css",
    "jieter/Leaflet.Sync/L.Map.Sync.min.js": "leaflet.sync/L.Map.Sync.js",
}
#: Libraries folium links by default that territorial's maps do not use.
UNUSED = ("jquery", "bootstrap", "awesome-markers", "fontawesome", "leaflet.awesome.rotate")

_SCRIPT = re.compile(r'<script\s+src="(?P<url>https?://[^"]+)"\s*>\s*</script>')
_STYLE = re.compile(r'<link\s+rel="stylesheet"\s+href="(?P<url>https?://[^"]+)"\s*/?>')
_CSS_URL = re.compile(r"url\((?P<q>['\"]?)(?P<path>(?!data:)[^'\")]+)(?P=q)\)")


class AssetsError(TerritorialError, RuntimeError):
    """The npm packages needed for a self-contained map are not installed."""


#: Where a wheel keeps the npm files it was built with (same layout as a ``node_modules``).
PACKAGED = Path(__file__).resolve().parent / "_static"


def assets_dir() -> Path:
    """Folder holding the npm packages (a ``node_modules``, or the files a wheel carries)."""
    chosen = os.environ.get("TERRITORIAL_ASSETS")
    candidates = (
        [Path(chosen)]  # said explicitly: the only place looked at
        if chosen
        else [PACKAGED, Path.cwd() / "node_modules", Path(__file__).resolve().parent.parent / "node_modules"]
    )
    for candidate in candidates:
        if (candidate / "leaflet" / "dist" / "leaflet.js").is_file():
            return candidate
    if chosen:
        raise AssetsError(
            f"TERRITORIAL_ASSETS is {chosen}, which holds no leaflet/dist/leaflet.js: point it to a node_modules "
            "folder where `npm ci` installed territorial's package.json, or unset it"
        )
    raise AssetsError(
        "a self-contained map needs the Leaflet files from npm: run `npm ci` in the territorial project folder "
        "(it reads package.json), or set TERRITORIAL_ASSETS to a node_modules folder that has them; "
        "or write a map that links them from the internet (--cdn), which needs the network to open"
    )


def asset_files() -> list[str]:
    """The files (relative to a ``node_modules``) a self-contained map may inline, and those their CSS embeds."""
    return sorted(set(ASSETS.values()))


def _data_uri(path: Path) -> str:
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode()}"


def _css(path: Path) -> str:
    """A stylesheet with the images it points to embedded as data URIs."""
    text = path.read_text(encoding="utf-8")

    def embed(match: re.Match) -> str:
        target = (path.parent / match["path"].split("?")[0].split("#")[0]).resolve()
        return f"url({_data_uri(target)})" if target.is_file() else "url()"

    return _CSS_URL.sub(embed, text)


def _local(url: str, folder: Path) -> Path | None:
    for tail, relative in ASSETS.items():
        if url.endswith(tail):
            return folder / relative
    return None


def inline_assets(html: str) -> str:
    """Replace every linked script and stylesheet of a folium page by its inlined content.

    Raises
    ------
    AssetsError
        If the npm files are missing, or if the page links something this function
        does not know (so that nothing would be fetched silently when the page opens).
    """
    folder = assets_dir()

    def asset(match: re.Match, what: str) -> Path | None:
        """The local copy of a linked file; None for a library the maps do not use."""
        url = match["url"]
        if any(name in url for name in UNUSED):
            return None
        path = _local(url, folder)
        if path is None or not path.is_file():
            raise AssetsError(f"no local copy of the {what} {url}; add its npm package to package.json")
        return path

    def script(match: re.Match) -> str:
        path = asset(match, "script")
        if path is None:
            return ""
        code = path.read_text(encoding="utf-8").replace("</script", "<\\/script")
        return f"<script>{code}</script>"

    def style(match: re.Match) -> str:
        path = asset(match, "stylesheet")
        return "" if path is None else f"<style>{_css(path)}</style>"

    html = _STYLE.sub(style, _SCRIPT.sub(script, html))
    left = re.findall(r'<(?:script|link|img|iframe)\b[^>]*?(?:src|href)="(https?://[^"]+)"', html)
    if left:
        raise AssetsError(f"the page still links {left[:3]}; it would not open without network")
    return html

"""Text to page: the one place where text becomes HTML.

User text (facility names, commune and territory names of a custom scheme, GeoJSON
properties, titles, notes) is *data*. It never becomes part of a template's source:

* :func:`text` escapes a value for HTML **and** for Jinja. branca renders every folium
  element twice — the output of an element's macros is compiled again as a Jinja
  template (``branca.element.MacroElement.render``) — so any ``{{``, ``{%`` or ``{#``
  left in a tooltip, popup or layer name would be evaluated on the second pass. The
  braces are written as the character references ``&#123;`` / ``&#125;``, which the
  browser shows as ``{`` / ``}`` wherever the text is read as HTML (tooltips, popups,
  layer names, panels, the page title).
* :func:`render` and :func:`snippet` run the project's own templates in a
  :class:`jinja2.sandbox.SandboxedEnvironment` with autoescape on; every value they
  print goes through :func:`text`.
* :class:`Panel` is a page element whose template is fixed: its content is a value,
  and it is rendered once, so it is never compiled as a template.
* :func:`script_json` writes data for a ``<script>`` so that ``</script>`` or ``<!--``
  in a value cannot end the script and no brace of a value can reach Jinja.
"""

from __future__ import annotations

import json
import math
from typing import Any

import branca
from jinja2 import PackageLoader, Template, select_autoescape
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from territorial._text import repair_surrogates

__all__ = ["Dock", "Markup", "Panel", "render", "script_json", "snippet", "template", "text"]

_BRACES = str.maketrans({"{": "&#123;", "}": "&#125;"})
_SCRIPT_UNSAFE = str.maketrans(
    {
        "<": "\\u003c",
        ">": "\\u003e",
        "&": "\\u0026",
        "'": "\\u0027",
        "{": "\\u007b",
        "}": "\\u007d",
        "\u2028": "\\u2028",
        "\u2029": "\\u2029",
    }
)


def text(value: Any, *, quote: bool = True) -> Markup:
    """A value as HTML text, safe from HTML and from Jinja.

    Parameters
    ----------
    value : object
        Anything; ``None`` and non-finite floats give an empty string.
    quote : bool
        Escape quotes too (needed inside attributes). ``False`` keeps apostrophes as they
        are, e.g. for the commune names the map's search box matches against.

    Returns
    -------
    markupsafe.Markup
        Escaped text: ``& < >`` (and quotes) as entities, braces as ``&#123;``/``&#125;``.
    """
    if isinstance(value, Markup):
        return value
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return Markup("")
    raw = repair_surrogates(str(value))  # never a character that UTF-8 cannot write
    escaped = str(escape(raw)) if quote else raw.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return Markup(escaped.translate(_BRACES))


def _finalize(value: Any) -> Any:
    """Every ``{{ value }}`` of the project's templates: markup kept, anything else through :func:`text`."""
    return value if isinstance(value, Markup) else text(value)


_ENV = SandboxedEnvironment(
    loader=PackageLoader("territorial", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    finalize=_finalize,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def render(template_name: str, **context: Any) -> str:
    """Render one of the package's templates (``territorial/templates``) with ``context`` as data."""
    return _ENV.get_template(template_name).render(**context)


def template(source: str) -> Template:
    """Compile one of the project's own template sources (never user text) in the sandboxed environment.

    Used for the page elements of :mod:`territorial.maps`, whose macros folium renders.
    """
    return _ENV.from_string(source)


def snippet(source: str, **context: Any) -> Markup:
    """Render a small fixed template of the project's own (never user text) with ``context`` as data."""
    return Markup(_ENV.from_string(source).render(**context))


def script_json(data: Any) -> Markup:
    """JSON for a ``<script>``: no ``<``, ``>``, ``&``, quote or brace of a value appears as such."""
    dumped = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    # structure braces of JSON are never doubled, so only the values' characters are rewritten
    return Markup(_escape_json_strings(dumped))


def _escape_json_strings(dumped: str) -> str:
    """Rewrite unsafe characters inside the JSON strings of ``dumped`` as ``\\uXXXX`` escapes."""
    out: list[str] = []
    in_string = escaped = False
    for char in dumped:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            else:
                char = char.translate(_SCRIPT_UNSAFE)
        elif char == '"':
            in_string = True
        out.append(char)
    return "".join(out)


class Panel(branca.element.Element):
    """A fixed box on the page (title, sources, legend); its content is a value, never template source.

    Parameters
    ----------
    content : markupsafe.Markup
        The inner HTML, built with :func:`text` / :func:`snippet` (a plain ``str`` is escaped).
    position : str
        CSS placement, e.g. ``"top:10px;left:60px"`` (the project's own constant).
    element_id : str
        ``id`` of the box, so that scripts and tests can find it.
    css_class : str
        Class of the box.
    shown : bool
        Initially visible.
    """

    _template = _ENV.from_string(
        '<div{% if this.element_id %} id="{{ this.element_id }}"{% endif %} class="{{ this.css_class }}" '
        'style="position:fixed;{{ this.position }};z-index:{{ this.z_index }};background:rgba(255,255,255,.92);'
        "padding:6px 10px;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.3);font:12px/1.4 sans-serif;"
        "max-width:{{ this.max_width }}px;display:{{ 'block' if this.shown else 'none' }}\">{{ this.content }}</div>"
    )

    def __init__(
        self,
        content: Markup | str,
        *,
        position: str,
        element_id: str = "",
        css_class: str = "territorial-panel",
        shown: bool = True,
        max_width: int = 360,
        z_index: int = 9999,
    ) -> None:
        super().__init__()
        self._name = "Panel"
        self.content = content if isinstance(content, Markup) else text(content)
        self.position, self.element_id, self.css_class = position, element_id, css_class
        self.shown, self.max_width, self.z_index = shown, max_width, z_index


class Dock(Panel):
    """A box docked at the page's edge (the map's side panel ``#panneau``, the siting map's band): a fixed
    template, its content a value; the page's style sheet places it."""

    _template = _ENV.from_string(
        '<div id="{{ this.element_id }}" class="territorial-panel" role="complementary">{{ this.content }}</div>'
    )

    def __init__(self, content: Markup | str, *, element_id: str = "panneau") -> None:
        super().__init__(content, position="", element_id=element_id)
        self._name = "Dock"

"""User text is data: never a template, never code, never a crash (issue 14).

Every HTML output — coverage map, siting map, territories map, report — gets hostile text
through every path a user controls: facility names and other columns (CSV, GeoJSON
properties), project titles, territory names of a custom scheme, kind names, titles (CLI
``--title``, scenario ``title``). Each string must come out literally (escaped) and nothing
in it may be evaluated: a Jinja payload that would create a file (the canary) must not,
``{{ 6*7 }}`` must stay ``{{ 6*7 }}``, and ``{% raw %}`` or ``{#`` must not stop a command.
"""

from __future__ import annotations

import contextlib
import json
import math
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from browser import probe
from hypothesis import example, given, settings
from hypothesis import strategies as st
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import htmlsafe_json_dumps
from shapely.geometry import Point
from typer.testing import CliRunner

import territorial
from territorial import _page
from territorial.cli import app
from territorial.maps import coverage_map, render_map, siting_map, territories_map
from territorial.siting import site

runner = CliRunner()
EXAMPLES = Path(territorial.__file__).resolve().parent / "examples"
COMMUNES = [
    "Lille",
    "Arras",
    "Calais",
    "Douai",
    "Cambrai",
    "Maubeuge",
    "Lens",
    "Boulogne-sur-Mer",
    "Dunkerque",
    "Valenciennes",
    "Béthune",
    "Saint-Omer",
    "Avesnes-sur-Helpe",
]


def payloads(canary: Path) -> list[str]:
    """Hostile names: Jinja that would run a shell command (creating ``canary``; see :func:`armed`),
    Jinja syntax that would
    stop the renderer, HTML and script injection, quotes, backslashes, an RTL override, a 10 kB name."""
    touch = f"touch {canary}"
    return [
        "Cyber {{ 6*7 }} centre",
        # no quote, so that no escaping can disarm it: the command is read from $TERRITORIAL_CANARY
        "{{ lipsum.__globals__.os.system(lipsum.__globals__.os.environ.TERRITORIAL_CANARY) }}",
        f"{{{{ lipsum.__globals__.os.system('{touch}') }}}}",
        f"{{{{ cycler.__init__.__globals__.os.popen('{touch}').read() }}}}",
        "{% for c in [].__class__.__base__.__subclasses__() %}{% if c.__name__ == 'catch_warnings' %}"
        f"{{{{ c()._module.__builtins__['__import__']('os').system('{touch}') }}}}{{% endif %}}{{% endfor %}}",
        "Ouvert {% raw %} jamais fermé",
        "Commentaire {# sans fin",
        "Fin {% endraw %} et }} seuls",
        "<script>window.__pwned=1</script>",
        '<img src=x onerror="window.__pwned=1">',
        "</script><script>window.__pwned=1</script><!--",
        "Guillemets \"doubles\" 'simples' `accents graves` \\ anti-slash ${window.__pwned=1}",
        "\u202eRTL override \u2028 séparateur",
        "Long " + "{{ x }}<b>" * 1250,  # 10 kB
    ]


def read(path: Path) -> str:
    """A page as written: no newline translation (a CR in a name stays a CR)."""
    with open(path, encoding="utf-8", newline="") as handle:
        return handle.read()


@contextlib.contextmanager
def armed(canary: Path):
    """Set the command that the quote-free payload runs if it is ever evaluated: it creates ``canary``.

    (Checked against the code before issue 14: ``territorial map`` created the file.)
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TERRITORIAL_CANARY", f"touch {canary}")
        yield


def json_fragment(value: str) -> str:
    """How a value written in a folium JSON literal (``tojson``) appears in the page."""
    return htmlsafe_json_dumps(value, dumps=json.dumps, ensure_ascii=False, separators=(",", ":"))[1:-1]


def shown(page: str, value: str) -> bool:
    """Whether ``value`` is in ``page`` as escaped text (HTML or JSON data), never evaluated."""
    forms = {str(_page.text(value)), str(_page.text(value, quote=False))}
    return any(form in page or json_fragment(form) in page for form in forms)


# --------------------------------------------------------------------------- the text-to-page module


def test_text_escapes_html_and_jinja():
    assert _page.text("{{ 6*7 }} <b>&'\"") == "&#123;&#123; 6*7 &#125;&#125; &lt;b&gt;&amp;&#39;&#34;"
    assert _page.text("l'Abbaye", quote=False) == "l'Abbaye"
    assert _page.text(None) == "" and _page.text(math.nan) == ""
    assert _page.text(12.5) == "12.5"
    already = _page.Markup("<b>x</b>")
    assert _page.text(already) is already


def test_text_repairs_bytes_that_were_not_utf8():
    # "Société" typed in a Latin-1 terminal reaches Python as lone surrogates; UTF-8 cannot write them
    assert _page.text("Soci\udce9t\udce9 \ud800") == "Société \ufffd"
    str(_page.text("Soci\udce9t\udce9")).encode("utf-8")


def test_map_title_typed_in_latin1_is_written(tmp_path):
    source = tmp_path / "lieux.csv"
    source.write_text("nom;commune\nA;Lille\n", encoding="utf-8")
    out = tmp_path / "carte.html"
    result = runner.invoke(
        app, ["map", str(source), "-o", str(out), "--kind", "cyber_centre", "--title", "Soci\udce9t\udce9 {{ 6*7 }}"]
    )
    assert result.exit_code == 0, result.output
    assert "<title>Société &#123;&#123; 6*7 &#125;&#125;</title>" in read(out)


def test_script_json_cannot_close_the_script_or_reach_jinja():
    data = {"nom": "</script><!-- {{ 6*7 }} {% raw %} & 'x' \u2028", "n": [1, {"a": {}}]}
    out = str(_page.script_json(data))
    for bad in ("</", "<!--", "{{", "{%", "&", "'", "\u2028"):
        assert bad not in out
    assert json.loads(out) == data  # still the same data for the page's script


def test_snippet_and_render_use_a_sandbox_with_autoescape():
    assert isinstance(_page._ENV, SandboxedEnvironment)
    out = _page.snippet("<b>{{ a }}</b>{{ b }}", a="{{ 6*7 }}<i>", b=_page.Markup("<br>"))
    assert out == "<b>&#123;&#123; 6*7 &#125;&#125;&lt;i&gt;</b><br>"


def test_panel_content_is_never_template_source():
    import folium

    fmap = folium.Map(tiles=None)
    fmap.get_root().html.add_child(_page.Panel("{% raw %} {{ 6*7 }} <script>", position="top:0", element_id="p"))
    page = fmap.get_root().render()
    assert '<div id="p"' in page and "&#123;% raw %&#125; &#123;&#123; 6*7 &#125;&#125; &lt;script&gt;" in page


# --------------------------------------------------------------------------- every path, any string (API)

PIECES = st.sampled_from(
    [
        "{{",
        "}}",
        "{%",
        "%}",
        "{#",
        "#}",
        "{% raw %}",
        "{% endraw %}",
        "{{ 6*7 }}",
        "{{ lipsum }}",
        "</script>",
        "<script>window.__pwned=1</script>",
        '<img src=x onerror="window.__pwned=1">',
        '"',
        "'",
        "\\",
        "`",
        "&",
        "&amp;",
        "<!--",
        "${x}",
        "\u202e",
        "\u2028",
        "\u00a0",
        "é",
        "Œ",
        "0123456789abcdef0123456789abcdef",
    ]
)
HOSTILE = (
    st.lists(st.one_of(PIECES, st.text(max_size=8)), min_size=1, max_size=6).map("".join).map(str.strip).filter(bool)
)


@pytest.fixture(scope="module")
def located():
    """Facilities at the town halls of a few communes (geocoded once)."""
    result = territorial.geocode(pd.DataFrame({"commune": COMMUNES, "kind": "cyber_centre"}))
    assert len(result.accepted) == len(COMMUNES)
    return result


@pytest.fixture(scope="module")
def arrondissements(communes):
    return communes.set_index("code_insee")["arrondissement"]


@settings(max_examples=4)  # each case renders every page (~7 s); the fixed @example carries the known payloads
@given(names=st.lists(HOSTILE, min_size=3, max_size=7, unique=True))
@example(names=payloads(Path("/tmp/territorial-canary-never"))[:7])
@pytest.mark.slow
def test_any_text_is_written_literally_in_every_page(names, located, arrondissements, tmp_path_factory):
    # territory names from a custom scheme: arrondissement i -> names[i % n]
    codes = sorted(arrondissements.unique())
    scheme = arrondissements.map({a: names[i % len(names)] for i, a in enumerate(codes)})
    territories = sorted(set(scheme))
    facilities = located.accepted.assign(
        nom=[names[i % len(names)] for i in range(len(located.accepted))],
        adresse=[names[(i + 1) % len(names)] for i in range(len(located.accepted))],
        services=names[-1],
        kind=[names[0] if i % 2 else "cyber_centre" for i in range(len(located.accepted))],
    )
    title = " ".join(names[:2])
    analysis = territorial.analyse(facilities, scheme=scheme, n_boot=9)
    page = render_map(coverage_map(analysis, facilities, title=title))
    for value in [*names, *territories]:
        assert shown(page, value), value
    assert f"<title>{_page.text(title)}</title>" in page

    folder = tmp_path_factory.mktemp("rapport")
    territorial.write_report(analysis, facilities, {names[0]: located}, folder / "rapport.html", title=title)
    report = read(folder / "rapport.html")
    for value in [title, names[0], *territories]:
        assert str(_page.text(value)) in report, value

    result = site(k=3, radius_km=5, existing=facilities, scheme=scheme, solver="heuristic")
    dual = render_map(siting_map(result, existing=facilities, title=title))
    assert str(_page.text(title)) in dual
    for territory in result.sites["territoire"]:
        assert shown(dual, territory)

    outlines = territories_map(territorial.territories(scheme), title=title)
    page = render_map(outlines)
    assert all(shown(page, value) for value in territories) and shown(page, title)


# --------------------------------------------------------------------------- canaries, through the CLI


def _write_inputs(folder: Path, names: list[str], arrondissements: pd.Series) -> dict[str, Path]:
    """A CSV of cyber-centres, a GeoJSON of access points, a projects file and a scheme, all with ``names``."""
    rows = [
        {"nom": n, "commune": COMMUNES[i % len(COMMUNES)], "adresse": n, "services": n} for i, n in enumerate(names)
    ]
    rows.append({"nom": names[0], "commune": "Lile", "adresse": "", "services": ""})  # fuzzy: quality layer
    pd.DataFrame(rows).to_csv(folder / "cyber.csv", sep=";", index=False)
    points = gpd.GeoDataFrame(
        {"nom": names, "type": names},
        crs=4326,
        geometry=[Point(2.9 + 0.05 * i, 50.4 + 0.02 * i) for i in range(len(names))],
    )
    points.to_file(folder / "acces.geojson", driver="GeoJSON")
    projects = pd.read_csv(EXAMPLES / "projets_exemple.csv", sep=";", dtype=str, encoding="utf-8")
    projects["titre"] = [names[i % len(names)] for i in range(len(projects))]
    projects.to_csv(folder / "projets.csv", sep=";", index=False)
    codes = sorted(arrondissements.unique())
    scheme = arrondissements.map({a: names[i % len(names)] for i, a in enumerate(codes)})
    scheme.rename("territoire").rename_axis("code_insee").reset_index().to_csv(
        folder / "schema.csv", sep=";", index=False
    )
    return {
        "cyber": folder / "cyber.csv",
        "acces": folder / "acces.geojson",
        "projets": folder / "projets.csv",
        "schema": folder / "schema.csv",
        "territories": sorted(set(scheme)),
    }


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory, arrondissements):
    """``territorial run`` of a scenario whose title, inputs, projects and scheme all carry the payloads."""
    folder = tmp_path_factory.mktemp("hostile")
    canary = folder / "CANARY"
    names = payloads(canary)
    files = _write_inputs(folder, names, arrondissements)
    title = names[1] + " " + names[5]
    (folder / "scenario.toml").write_text(
        "\n".join(
            [
                f"title = {json.dumps(title)}",
                'scheme = "schema.csv"',
                'projects = "projets.csv"',
                "[[inputs]]",
                'path = "cyber.csv"',
                'kind = "cyber_centre"',
                "[[inputs]]",
                'path = "acces.geojson"',
                'kind = "broadband_access_point"',
                "[siting]",
                'kind = "cyber_centre"',
                "k = 4",
                "radius_km = 5",
                "[outputs]",
                'dir = "sorties"',
                "self_contained = true",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    with armed(canary):
        result = runner.invoke(app, ["run", str(folder / "scenario.toml"), "-o", str(folder / "sorties")])
    return {
        "result": result,
        "canary": canary,
        "names": names,
        "title": title,
        "out": folder / "sorties",
        "files": files,
    }


@pytest.mark.slow
def test_run_writes_every_payload_literally_and_runs_none(hostile_run):
    assert hostile_run["result"].exit_code == 0, hostile_run["result"].output
    assert not hostile_run["canary"].exists(), "a name was evaluated as a template: the canary file was created"
    out, names, title = hostile_run["out"], hostile_run["names"], hostile_run["title"]
    carte = read(out / "carte.html")
    assert all(shown(carte, name) for name in names)
    assert f"<title>{_page.text(title)}</title>" in carte
    report = read(out / "rapport.html")
    assert str(_page.text(title)) in report
    assert all(str(_page.text(name)) in report for name in hostile_run["files"]["territories"])
    sites = read(out / "carte_sites.html")
    assert str(_page.text(title + " — prochains sites")) in sites
    for page in (carte, report, sites):
        assert "<script>window.__pwned" not in page and "<img src=x" not in page


def _run_armed(tmp_path: Path, arrondissements: pd.Series, command) -> list[str]:
    """Write the hostile inputs, run ``command(files, names)`` through the CLI with the canary armed;
    the command must succeed and the canary must not exist. Returns the payloads."""
    canary = tmp_path / "CANARY"
    names = payloads(canary)
    files = _write_inputs(tmp_path, names, arrondissements)
    with armed(canary):
        result = runner.invoke(app, command(files, names))
    assert result.exit_code == 0, result.output
    assert not canary.exists()
    return names


@pytest.mark.slow
def test_map_command_canary(tmp_path, arrondissements):
    out = tmp_path / "carte.html"
    names = _run_armed(tmp_path, arrondissements, lambda files, names: [
        "map", str(files["cyber"]), str(files["acces"]), "-o", str(out), "--kind", "cyber_centre",
        "--kind", "broadband_access_point", "--scheme", str(files["schema"]), "--title", names[1],
    ])  # fmt: skip
    page = read(out)
    assert all(shown(page, name) for name in names)
    assert f"<title>{_page.text(names[1])}</title>" in page


def test_site_map_command_canary(tmp_path, arrondissements):
    out = tmp_path / "carte_sites.html"
    _run_armed(tmp_path, arrondissements, lambda files, names: [
        "site", "--k", "5", "--radius", "5", "--existing", str(files["cyber"]), "--scheme", str(files["schema"]),
        "-o", str(tmp_path / "sites.csv"), "--map", str(out),
    ])  # fmt: skip
    page = read(out)
    chosen = pd.read_csv(tmp_path / "sites.csv", dtype=str, keep_default_na=False)
    assert len(chosen) == 5 and all(shown(page, t) for t in chosen["territoire"])


# --------------------------------------------------------------------------- in a real browser


@pytest.mark.slow
def test_hostile_map_in_the_browser_every_overlay_on(hostile_run, tmp_path):
    assert hostile_run["result"].exit_code == 0, hostile_run["result"].output
    found = probe(hostile_run["out"] / "carte.html", tmp_path, every_overlay=True, texts=True)
    assert found["errors"] == []
    assert found["pwned"] is False and found["injected_scripts"] == 0 and found["resources"] == []
    assert found["opened"] > 1534  # communes, territories, facilities, projects, quality rows, under-served
    assert found["title"] == hostile_run["title"]
    read = "\n".join(found["texts"] + found["layers"])
    missing = [name[:60] for name in hostile_run["names"] if name not in read]
    assert missing == []  # every name reached the user as the very text that was written


@pytest.mark.slow
def test_hostile_siting_map_in_the_browser(hostile_run, tmp_path):
    assert hostile_run["result"].exit_code == 0, hostile_run["result"].output
    found = probe(hostile_run["out"] / "carte_sites.html", tmp_path, every_overlay=True, texts=True)
    assert found["errors"] == []
    assert found["pwned"] is False and found["injected_scripts"] == 0 and found["resources"] == []
    assert found["title"] == hostile_run["title"] + " — prochains sites"
    assert any(hostile_run["title"] in text for text in found["texts"])

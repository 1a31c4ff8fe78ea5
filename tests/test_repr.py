"""Results shown in Jupyter: a short French summary, escaped, whose figures are the results' own."""

from __future__ import annotations

import re

import pytest

import territorial as tl
from territorial._format import fr_number
from territorial.examples import CYBER_FILE, PROJECTS_FILE, example_path

HOSTILE = "<script>window.__pwned=1</script>"


def cells(page: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", page)]


def test_an_analysis_shows_each_territorys_count_coverage_and_distance(example):
    facilities, analysis = example
    page = analysis._repr_html_()
    assert page.startswith("<div><strong>Équilibre territorial</strong>")
    region = analysis.region.iloc[0]
    shown = cells(page)
    assert "Région" in shown and fr_number(region["population"]) in shown
    assert fr_number(region["n_cyber_centre"]) in shown and fr_number(region["n_broadband_access_point"]) in shown
    assert f"{fr_number(100 * region['part_pop_couverte_cyber_centre'], 1)} %" in shown
    assert "Cyber-centres : à moins de 5,0 km" in page and "Points d&#x27;accès haut débit : nombre" in page
    assert len(re.findall(r"<tr>", page)) == len(analysis.territories) + 2  # head, territories, region


def test_a_geocoding_result_shows_its_statuses_and_escapes_its_notes():
    result = tl.geocode_file(example_path(CYBER_FILE))
    result.notes.append(HOSTILE)
    page = result._repr_html_()
    assert HOSTILE not in page and "&lt;script&gt;" in page
    assert f"{result.n_input} lignes lues, {len(result.accepted)} acceptées, {len(result.rejected)} rejetées" in page
    assert "trouvées" in cells(page) and "hors région" in cells(page)


def test_a_siting_and_a_programme_say_their_certificate_and_targets():
    existing = tl.geocode_file(example_path(CYBER_FILE)).accepted
    sited = tl.site(k=5, radius_km=5, existing=existing)
    page = sited._repr_html_()
    assert "5 nouveaux sites à moins de 5,0 km" in page and sited.solution.status in page
    after = sited.coverage.set_index("territoire").at["Région", "part_apres"]
    assert f"{fr_number(100 * after, 1)} %" in cells(page)
    ledger = tl.programme_from_file(example_path(PROJECTS_FILE))
    page = ledger._repr_html_()
    found = ledger.projects.violations["gravite"].value_counts()
    assert f"{len(ledger.projects.projects)} projets contrôlés : {found['violation']} violation(s)" in page
    counted = ledger.targets.set_index("kind").loc["cyber_centre"]
    assert "Cyber-Centres sur le territoire régional" in cells(page) and fr_number(counted["realise"]) in cells(page)
    assert "aucun projet contrôlé" in tl.programme_report()._repr_html_()
    assert page.count("<tr>") == page.count("</tr>") == 1 + ledger.targets["valeur_cible"].notna().sum()


def test_several_files_load_in_one_call_and_every_row_is_accounted_for(tmp_path):
    from territorial.examples import ACCESS_FILE

    cyber, access = example_path(CYBER_FILE), example_path(ACCESS_FILE)
    loaded = tl.load_facilities({cyber: "cyber_centre", access: None})  # None: the kind from the file's name
    one = {name: tl.geocode_file(path) for name, path in ((cyber.name, cyber), (access.name, access))}
    counts = loaded.facilities.groupby(["fichier", "kind"]).size().to_dict()
    assert counts == {
        (cyber.name, "cyber_centre"): len(one[cyber.name].accepted),
        (access.name, "broadband_access_point"): len(one[access.name].accepted),
    }
    assert len(loaded.rejected) == sum(len(r.rejected) for r in one.values())
    assert set(loaded.rejected["fichier"]) <= {cyber.name, access.name}
    assert sum(len(r.accepted) + len(r.rejected) for r in loaded.results.values()) == sum(
        r.n_input for r in one.values()
    )
    page = loaded._repr_html_()
    assert f"{fr_number(len(loaded.facilities))} équipements chargés" in page and "points d&#x27;accès" in page
    same = tl.load_facilities([cyber, access])  # kinds from the file names
    assert same.facilities["kind"].value_counts().to_dict() == loaded.facilities["kind"].value_counts().to_dict()
    with pytest.raises(tl.TerritorialError, match="`files` is empty"):
        tl.load_facilities([])
    assert len(tl.load_facilities(str(cyber)).facilities) == len(one[cyber.name].accepted)  # one path alone
    with pytest.raises(tl.TerritorialError, match="is given twice; give each file once"):
        tl.load_facilities({cyber: "cyber_centre", str(cyber): "cyber_centre"})
    with pytest.raises(tl.TerritorialError, match="must be text such as 'cyber_centre', not 42"):
        tl.load_facilities({cyber: 42})


def test_a_kind_that_is_none_of_the_plans_is_kept_and_said(caplog):
    with caplog.at_level("WARNING"):
        loaded = tl.load_facilities({example_path(CYBER_FILE): "broadband"})
    assert set(loaded.facilities["kind"]) == {"broadband"}
    assert "the kind 'broadband' is none of the plan's systems" in caplog.text

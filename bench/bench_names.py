"""Benchmark: the name rules on every case the registries hold, right / wrong / refused, and their cost.

Run: ``.venv/bin/python bench/bench_names.py``. Each table is generated from the registry data
embedded in ``geodata/npdc.gpkg`` (COG names and postal codes, former and La Poste names, the
communes of France), as ``tests/test_names_truth.py`` does; "wrong" is a row accepted on the wrong commune (or
accepted at all when it must not be). The baseline is a bare pandas merge on the exact
(name, postal code) pair of the same rows, which places only rows written as the COG writes them.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

import territorial
from territorial import geography, normalise


def tables() -> dict[str, tuple[pd.DataFrame, pd.Series]]:
    """Rule -> (rows to geocode, expected INSEE code or '' when the row must not be placed)."""
    communes = geography.communes()[["code_insee", "nom", "departement", "codes_postaux"]]
    france = geography._layer("communes_france")
    outside = france[~france["departement"].isin(["59", "62"])]
    gazetteer = geography.gazetteer()
    pairs = communes.assign(cp=communes["codes_postaux"].str.split(";")).explode("cp")
    others = gazetteer[(gazetteer["type"] != "commune") & gazetteer["nom"].notna()]
    labels = others.assign(cp=others["codes_postaux"].str.split(";")).explode("cp")
    written = (others["commune"] + " " + others["nom"]).str.upper()
    two_parts = others[~written.map(normalise.name_key).isin(set(gazetteer["nom"].dropna().map(normalise.name_key)))]
    here = set(gazetteer["nom"].dropna().map(normalise.name_key))
    keys = outside["nom"].map(normalise.name_key)
    bare_here = {normalise.strip_article(k) for k in here}
    mirrored = outside[keys.map(normalise.strip_article).isin(bare_here) & ~keys.isin(here)]
    elsewhere = outside[~keys.isin(here)].sample(3000, random_state=0)
    rng = np.random.default_rng(0)
    swapped = pairs.sample(frac=1.0, random_state=3)
    other_cp = pairs["cp"].to_numpy()[rng.integers(len(pairs), size=len(swapped))]
    keep = [cp not in cps.split(";") for cp, cps in zip(other_cp, swapped["codes_postaux"])]
    swapped, other_cp = swapped[keep], other_cp[keep]
    rows = gazetteer[gazetteer["type"] == "commune"]  # the COG's postal codes and La Poste's, as the index has them
    served = rows.assign(cp=rows["codes_postaux"].str.split(";")).explode("cp").groupby("cp")["code_insee"].agg(set)
    return {
        "COG name + each postal code": (
            pd.DataFrame({"commune": pairs["nom"].str.upper().to_numpy(), "code_postal": pairs["cp"].to_numpy()}),
            pairs["code_insee"],
        ),
        "other name + its postal codes": (  # former, associated, postal, hamlet
            pd.DataFrame({"commune": labels["nom"].to_numpy(), "code_postal": labels["cp"].to_numpy()}),
            labels["code_insee"],
        ),
        "commune + other name (LILLE HELLEMMES)": (
            pd.DataFrame(
                {
                    "commune": (two_parts["commune"] + " " + two_parts["nom"]).str.upper().to_numpy(),
                    "code_postal": two_parts["codes_postaux"].str.split(";").str[0].to_numpy(),
                }
            ),
            two_parts["code_insee"],
        ),
        "unknown place name + each postal code": (  # placed only by a postal code of one commune
            pd.DataFrame({"commune": "ZZQX LIEU SANS NOM", "code_postal": served.index.to_numpy()}),
            pd.Series([next(iter(s)) if len(s) == 1 else "" for s in served]),
        ),
        "commune elsewhere, article mirrored": (
            pd.DataFrame({"commune": mirrored["nom"].to_numpy()}),
            pd.Series([""] * len(mirrored)),
        ),
        "commune elsewhere (3,000 drawn)": (
            pd.DataFrame({"commune": elsewhere["nom"].to_numpy()}),
            pd.Series([""] * len(elsewhere)),
        ),
        "name + another commune's postal code": (
            pd.DataFrame({"commune": swapped["nom"].to_numpy(), "code_postal": other_cp}),
            pd.Series([""] * len(swapped)),  # placed only where a reading agrees with both: counted below
        ),
    }


def score(frame: pd.DataFrame, expected: pd.Series) -> dict[str, int]:
    result = territorial.geocode(frame)
    rows = pd.concat([result.accepted.drop(columns="geometry"), result.rejected]).set_index("input_row").sort_index()
    placed = rows["code_insee"].fillna("").astype(str).to_numpy()
    wanted = expected.to_numpy()
    accepted = rows["geocode_status"].isin(["matched", "fuzzy"]).to_numpy()
    agreed = rows["geocode_method"].fillna("").str.startswith("postal_code+").to_numpy() & (wanted == "")
    return {
        "right": int((accepted & (placed == wanted) & (wanted != "")).sum()),
        "agreed": int((accepted & agreed).sum()),
        "wrong": int((accepted & (placed != wanted) & ~agreed).sum()),
        "refused": int((~accepted).sum()),
    }


def main() -> None:
    communes = geography.communes()
    reference = communes.assign(cp=communes["codes_postaux"].str.split(";")).explode("cp")
    reference = reference.rename(columns={"nom": "commune", "cp": "code_postal"})[
        ["commune", "code_postal", "code_insee"]
    ]
    territorial.geocode(pd.DataFrame({"commune": ["Lille"]}))  # the gazetteer index, built once per process
    print(
        f"{'rule':40s} {'rows':>6s} {'right':>6s} {'agreed':>6s} {'wrong':>6s} {'refused':>7s}  geocode   merge  ratio"
    )
    for rule, (frame, expected) in tables().items():
        start = time.perf_counter()
        counts = score(frame, expected)
        geocoded = time.perf_counter() - start
        start = time.perf_counter()
        frame.merge(reference, on=[c for c in ("commune", "code_postal") if c in frame], how="left")
        merged = time.perf_counter() - start
        print(
            f"{rule:40s} {len(frame):6d} {counts['right']:6d} {counts['agreed']:6d} {counts['wrong']:6d} "
            f"{counts['refused']:7d}  {geocoded:6.2f}s {merged:6.3f}s {geocoded / max(merged, 1e-6):6.0f}x"
        )
    print("agreed: the name (without its article) and the postal code both designate the commune placed")


if __name__ == "__main__":
    main()

"""Benchmark: geocoding 1 M rows of name + postal code, against a bare pandas merge on the exact keys.

Run: ``.venv/bin/python bench/bench_geocode.py [N]``. The input draws communes weighted by
population; 2 % of the names are written differently (capitals, no accents: exact after
normalisation) and 0.5 % carry a typo (left to fuzzy matching). The baseline is
``DataFrame.merge`` on the raw (name, postal code) pair, which finds only the untouched
rows. Ratios, not seconds, are what compare across runs.
"""

from __future__ import annotations

import sys
import time
import unicodedata

import numpy as np
import pandas as pd

import territorial
from territorial.geocode import geocode


def make_rows(n: int, seed: int = 10) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    communes = territorial.communes(scheme=None)
    weights = communes["population"].to_numpy(float)
    pick = rng.choice(len(communes), size=n, p=weights / weights.sum())
    names = communes["nom"].to_numpy(object)[pick]
    postal = communes["codes_postaux"].str.split(";").str[0].to_numpy(object)[pick]
    roll = rng.random(n)
    upper = roll < 0.01
    names[upper] = [s.upper() for s in names[upper]]
    plain = (roll >= 0.01) & (roll < 0.02)
    names[plain] = [unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode() for s in names[plain]]
    typo = (roll >= 0.02) & (roll < 0.025)
    names[typo] = [s[:-1] if len(s) > 6 else s + "e" for s in names[typo]]
    return pd.DataFrame({"commune": names, "code_postal": postal})


def main(n: int = 1_000_000) -> None:
    rows = make_rows(n)
    communes = territorial.communes(scheme=None)
    reference = pd.DataFrame(
        {
            "commune": communes["nom"],
            "code_postal": communes["codes_postaux"].str.split(";").str[0],
            "code_insee": communes["code_insee"],
        }
    )
    geocode(rows.head(1000))  # build the reference index once, as any session does

    start = time.perf_counter()
    merged = rows.merge(reference, on=["commune", "code_postal"], how="left")
    baseline = time.perf_counter() - start

    start = time.perf_counter()
    result = geocode(rows)
    ours = time.perf_counter() - start

    statuses = result.summary.set_index("geocode_status")["rows"]
    print(f"rows: {n:,}")
    print(
        f"bare pandas merge on exact keys: {baseline:7.2f} s  {n / baseline:12,.0f} rows/s  "
        f"found {merged['code_insee'].notna().mean():.2%}"
    )
    print(
        f"territorial geocode():           {ours:7.2f} s  {n / ours:12,.0f} rows/s  "
        f"accepted {len(result.accepted) / n:.2%}  ratio to merge {ours / baseline:5.1f}x"
    )
    print(f"fuzzy share: {statuses['fuzzy'] / n:.2%}; statuses: {statuses.to_dict()}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)

"""Benchmark: checking funded projects against the plan, against a bare vectorised rate check.

Run: ``.venv/bin/python bench/bench_programme.py [N]``. The rows are the example projects
(every action line, eleven broken on purpose) repeated to N rows (default 10 000) with unique
ids. :func:`territorial.programme.check_projects` applies every rule of the plan (location,
repeats, period, currency, strict action codes, plausibility, sums, rates, partner × line
envelopes, beneficiaries, envelopes cumulated by date) and writes one line per finding. The
baseline, in the same run, reads the same amounts (French decimals, francs) and checks the
contract partners' rate against the objective's minimum and maximum in one vectorised pandas
pass: the least any checker does. The ratio is what the other rules and the messages cost.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

from territorial.examples import PROJECTS_FILE, example_path
from territorial.programme import check_projects, load_programme

sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
from _timing import median_time  # noqa: E402


def rows(n: int) -> pd.DataFrame:
    raw = pd.read_csv(example_path(PROJECTS_FILE), sep=";", dtype=str)
    copies = -(-n // len(raw))
    return pd.concat([raw.assign(id=raw["id"] + f"-{k}") for k in range(copies)], ignore_index=True).head(n)


def baseline(frame: pd.DataFrame, bounds: pd.DataFrame) -> int:
    """Amounts as numbers, in euros; the partners' rate against the objective's bounds: the rows out of bounds."""

    def number(column: str) -> pd.Series:
        return pd.to_numeric(frame[column].str.replace(",", ".", regex=False), errors="coerce").fillna(0.0)

    factor = np.where(frame["devise"].eq("MF"), 1e6 / 6.55957, 1.0)
    cost = number("cout_total") * factor
    partners = sum(number(c) for c in ("etat", "region", "departement_nord", "departement_pas_de_calais")) * factor
    rate = 100 * partners / cost
    limits = bounds.reindex(frame["action"].str.split(".").str[0]).to_numpy()
    return int(((rate.to_numpy() < limits[:, 0]) | (rate.to_numpy() > limits[:, 1])).sum())


def main(n: int = 10_000) -> None:
    frame = rows(n)
    programme = load_programme()
    bounds = pd.DataFrame(
        [
            (o["code"], o.get("taux", {}).get("min", 0), o.get("taux", {}).get("max", 100))
            for o in programme["objectifs"]
        ],
        columns=["objectif", "min", "max"],
    ).set_index("objectif")
    checked = check_projects(frame)
    base = median_time(lambda: baseline(frame, bounds), repeat=5)
    full = median_time(lambda: check_projects(frame), repeat=3)
    severity = checked.violations["gravite"].value_counts().to_dict()
    print(f"{len(frame):,} projects; {len(checked.violations):,} findings {severity}")
    print(f"bare vectorised rate check: {base:.3f} s ({len(frame) / base:,.0f} rows/s)")
    print(f"check_projects (every rule): {full:.3f} s ({len(frame) / full:,.0f} rows/s)")
    print(f"ratio check_projects / baseline: {full / base:.0f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)

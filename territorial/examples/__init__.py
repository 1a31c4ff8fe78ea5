"""Example layers shipped with territorial (« données d'exemple », generated, not real data).

See :mod:`territorial.examples.generate` for how they are made and which defects they
carry on purpose.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["example_path", "CYBER_FILE", "ACCESS_FILE", "PROJECTS_FILE", "WARNING"]

CYBER_FILE = "cyber_centres_exemple.csv"
ACCESS_FILE = "points_acces_haut_debit_exemple.csv"
PROJECTS_FILE = "projets_exemple.csv"
#: Marker carried by every example row.
WARNING = "données d'exemple (fictives)"


def example_path(name: str) -> Path:
    """Path of an example file shipped with the package (e.g. ``CYBER_FILE``)."""
    path = Path(str(resources.files("territorial.examples").joinpath(name)))
    if not path.is_file():
        raise FileNotFoundError(f"no example file {name!r}; the examples are {CYBER_FILE!r} and {ACCESS_FILE!r}")
    return path

"""The pipeline: the place where inputs are read, measures called and files written.

Measures (:mod:`territorial.analysis`, :mod:`territorial.programme`, :mod:`territorial.siting`...)
take frames and return results; the functions here start from files.
"""

from __future__ import annotations

import logging
from pathlib import Path

from territorial.geocode import geocode_file
from territorial.programme import ProgrammeReport, programme_report

logger = logging.getLogger(__name__)

__all__ = ["programme_from_file"]


def programme_from_file(path: str | Path | None = None, *, scheme="cper2000", **reader_options) -> ProgrammeReport:
    """The programme report of a projects file: read, geocoded like any layer, checked and summed by territory.

    Parameters
    ----------
    path : path, optional
        The projects file (any format :func:`territorial.geocode_file` reads); without it, the
        programme and its source check only.
    scheme : territory scheme (default ``cper2000``)
    **reader_options
        Passed to :func:`territorial.geocode_file` (``sep``, ``encoding``, ``columns``...).
    """
    if path is None:
        return programme_report(scheme=scheme)
    return programme_report(geocode_file(path, scheme=scheme, **reader_options), scheme=scheme)

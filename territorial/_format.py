"""French number formatting for what users read (maps, tables, report)."""

from __future__ import annotations

NARROW_NBSP = "\u202f"


def fr_number(value: float, digits: int = 0) -> str:
    """Format a number the French way: ``1234567.8`` -> ``"1 234 567,8"`` (narrow no-break spaces)."""
    text = f"{value:,.{digits}f}"
    return text.replace(",", NARROW_NBSP).replace(".", ",")


def production_date():
    """The date written in outputs: ``$SOURCE_DATE_EPOCH`` if set (reproducible builds), else today.

    Only the day is ever written, so that running the same job twice gives the same bytes.
    """
    import datetime as dt
    import os

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date()
    return dt.date.today()


def upper_first(words: str) -> str:
    """``words`` with its first letter in capitals and the rest as written (« lycées (Edunet) », not « (edunet) »)."""
    return words[:1].upper() + words[1:]

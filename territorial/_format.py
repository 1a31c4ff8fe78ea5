"""French number formatting for what users read (maps, tables, report)."""

from __future__ import annotations

NARROW_NBSP = "\u202f"


def fr_number(value: float, digits: int = 0) -> str:
    """Format a number the French way: ``1234567.8`` -> ``"1 234 567,8"`` (narrow no-break spaces)."""
    text = f"{value:,.{digits}f}"
    return text.replace(",", NARROW_NBSP).replace(".", ",")

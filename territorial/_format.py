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


def html_table(caption: str, frame, formats: dict | None = None, *, lines: list[str] | None = None) -> str:
    """A short HTML summary for Jupyter (``_repr_html_``): a caption, French lines, then a table.

    Every text is escaped; ``formats`` maps a column to a function giving its cell text (numbers
    right-aligned); the other cells are shown with ``str``.
    """
    import html

    formats = formats or {}
    cell = 'style="text-align:{}"'
    head = "".join(f"<th {cell.format('right' if c in formats else 'left')}>{html.escape(str(c))}</th>" for c in frame)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td {cell.format('right' if c in formats else 'left')}>{html.escape(formats.get(c, str)(v))}</td>"
            for c, v in zip(frame.columns, row)
        )
        + "</tr>"
        for row in frame.itertuples(index=False, name=None)
    )
    said = "".join(f"<li>{html.escape(line)}</li>" for line in lines or [])
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>" if len(frame.columns) else ""
    return f"<div><strong>{html.escape(caption)}</strong>{f'<ul>{said}</ul>' if said else ''}{table}</div>"


def fr_share(value: float) -> str:
    """A share (0-1) as a French percentage with one decimal, « — » when missing."""
    return "—" if value != value else f"{fr_number(100 * value, 1)} %"

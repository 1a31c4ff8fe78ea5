"""Optional online address geocoding with the Base Adresse Nationale (BAN) batch CSV service.

Off by default: :func:`territorial.geocode.geocode` calls it only with ``online=True``.
Only the address, postal code and INSEE code of each row are sent (with a row
number), never the other columns. Answers are cached on disk, keyed by the exact
request, so a second run sends nothing.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pandas as pd

from territorial._errors import TerritorialError

logger = logging.getLogger(__name__)

__all__ = ["BAN_URL", "BanError", "ban_geocode", "default_cache_dir"]

#: Batch CSV endpoint of the national address geocoder (IGN Géoplateforme, formerly api-adresse.data.gouv.fr).
BAN_URL = "https://data.geopf.fr/geocodage/search/csv"
RESULT_COLUMNS = {
    "latitude": "ban_latitude",
    "longitude": "ban_longitude",
    "result_score": "ban_score",
    "result_label": "ban_label",
    "result_type": "ban_type",
    "result_citycode": "ban_citycode",
    "result_postcode": "ban_postcode",
    "result_status": "ban_status",
}


class BanError(TerritorialError, RuntimeError):
    """The address service could not be reached or answered something unreadable."""


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/territorial/ban`` (``~/.cache/territorial/ban`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "territorial" / "ban"


def _multipart(fields: list[tuple[str, str]], file_field: str, filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = f"territorial-{uuid.uuid4().hex}"
    parts = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'
        "Content-Type: text/csv\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _post(url: str, body: bytes, content_type: str, timeout: float) -> bytes:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read()
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise BanError(
            f"the address service at {url} could not be reached ({exc}); check the network or run offline "
            "(without --online)"
        ) from exc


def ban_geocode(
    addresses: pd.Series,
    *,
    postcodes: pd.Series | None = None,
    citycodes: pd.Series | None = None,
    url: str = BAN_URL,
    cache_dir: str | Path | None = None,
    timeout: float = 120.0,
) -> pd.DataFrame:
    """Geocode addresses with the BAN batch CSV service.

    Parameters
    ----------
    addresses : pandas.Series
        Street addresses (empty ones are not sent).
    postcodes, citycodes : pandas.Series, optional
        Postal codes and INSEE codes on the same index, sent as filters.
    url : str
        Batch endpoint (a local stub in tests).
    cache_dir : path, optional
        Where answers are kept (default :func:`default_cache_dir`).
    timeout : float
        Seconds to wait for the service.

    Returns
    -------
    pandas.DataFrame
        On the index of ``addresses`` (rows not sent are NaN): ``ban_latitude``,
        ``ban_longitude``, ``ban_score`` (floats), ``ban_label``, ``ban_type``,
        ``ban_citycode``, ``ban_postcode``, ``ban_status`` (text).
    """
    empty = pd.DataFrame(index=addresses.index, columns=list(RESULT_COLUMNS.values()), dtype=object)
    sent = addresses.fillna("").astype(str).str.strip()
    sent = sent[sent != ""]
    if sent.empty:
        return empty
    request = pd.DataFrame({"ligne": range(len(sent)), "adresse": sent.to_numpy()})
    fields = [("columns", "adresse")]
    for name, values in (("postcode", postcodes), ("citycode", citycodes)):
        if values is not None:
            request[name] = values.reindex(sent.index).fillna("").astype(str).to_numpy()
            fields.append((name, name))
    content = request.to_csv(index=False).encode("utf-8")
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    key = hashlib.sha256(url.encode() + b"\n" + repr(fields).encode() + b"\n" + content).hexdigest()
    cached = cache / f"{key}.csv"
    if cached.is_file():
        logger.info("BAN: %d addresses answered from the cache %s", len(sent), cached)
        raw = cached.read_bytes()
    else:
        logger.info("BAN: sending %d addresses to %s", len(sent), url)
        body, content_type = _multipart(fields, "data", "adresses.csv", content)
        raw = _post(url, body, content_type, timeout)
        cache.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(".tmp")
        tmp.write_bytes(raw)
        tmp.replace(cached)
    try:
        answer = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        cached.unlink(missing_ok=True)
        raise BanError(f"the address service answered something that is not CSV ({exc})") from exc
    missing = [c for c in ("ligne", "latitude", "longitude", "result_score") if c not in answer.columns]
    if missing:
        cached.unlink(missing_ok=True)
        raise BanError(f"the address service's answer lacks column(s) {missing}; it has {list(answer.columns)}")
    answer = answer.set_index(answer["ligne"].astype(int)).reindex(range(len(sent)))
    out = answer.reindex(columns=list(RESULT_COLUMNS)).rename(columns=RESULT_COLUMNS)
    for column in ("ban_latitude", "ban_longitude", "ban_score"):
        out[column] = pd.to_numeric(out[column], errors="coerce")
    out.index = sent.index
    return out.reindex(addresses.index)

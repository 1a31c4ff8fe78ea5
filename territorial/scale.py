"""Beyond one machine: the same computations on millions of points, in memory or on Dask.

* :func:`synthetic_points`: address-like points drawn inside communes in proportion to
  population (seeded, any count), built partition by partition so that the in-memory and
  the Dask paths see exactly the same points.
* :func:`assign_points`: the commune and territory holding each point (one STRtree query).
* :func:`point_coverage`: per commune, how many points there are and how many lie within
  a radius of a facility.
* :func:`geocode_partitions`: geocoding by code and name, partition by partition;
  :func:`geocode_csv` streams a large text file through it into the two output files.

Each takes ``engine="memory"`` or ``engine="dask"`` (dask-geopandas / dask.dataframe,
partitions processed independently, so memory is bounded by the partition size, not
the input size); ``scheduler`` is the address of an existing Dask cluster, or None for a
local one. Both engines give identical results (tested).
"""

from __future__ import annotations

import codecs
import contextlib
import logging
import warnings
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from territorial import geography
from territorial._atomic import atomic_write as _atomic
from territorial._atomic import points_table as _points_table
from territorial._errors import ArgumentError, InputFileError
from territorial.geocode import (
    ACCEPTED,
    RESULT_COLUMNS,
    _index,
    duplicate_table,
    find_repeated_ids,
    geocode,
    location_columns,
    summary_lines,
)
from territorial.io import (
    TEXT_SUFFIXES,
    detect_columns,
    not_well_formed,
    ragged_row,
    read_input,
    sniff_text,
    to_degrees,
    to_number,
)
from territorial.schemes import SchemeLike, resolve_scheme

logger = logging.getLogger(__name__)

__all__ = [
    "synthetic_points",
    "assign_points",
    "point_coverage",
    "geocode_partitions",
    "geocode_csv",
    "dask_client",
    "read_points",
]

ENGINES = ("memory", "dask")
PARTITION_POINTS = 1_000_000


# --------------------------------------------------------------------------- Dask plumbing


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, *, workers: int = 2):
    """A Dask client on ``scheduler`` (an existing cluster's address) or on a local cluster of processes."""
    from distributed import Client, LocalCluster

    # the cluster's own start/stop chatter is not the user's business unless they asked for --verbose
    level = max(logging.getLogger().getEffectiveLevel(), logging.WARNING)
    logging.getLogger("distributed").setLevel(level)
    workers_level = logging.CRITICAL if level > logging.INFO else level
    if scheduler:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, ValueError) as exc:
            raise ArgumentError(
                f"--scheduler {scheduler}: no Dask scheduler answers there ({exc}); start one (`dask scheduler`) "
                "and give its address (tcp://HOST:8786), or omit --scheduler for a local cluster"
            ) from None
        with client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            memory_limit="auto",
            silence_logs=workers_level,  # a task's error comes back to the caller, which says it once
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def _check_engine(engine: str) -> None:
    if engine not in ENGINES:
        raise ArgumentError(f"`engine` must be one of {ENGINES}, got {engine!r}")


# --------------------------------------------------------------------------- synthetic points


def _partition_points(n: int, seed: int, part: int, path: str) -> gpd.GeoDataFrame:
    """``n`` points of partition ``part`` on the caller's geography (``path``)."""
    with geography.using(path):
        return _points_in_communes(n, seed, part)


def _points_in_communes(n: int, seed: int, part: int) -> gpd.GeoDataFrame:
    """``n`` points of partition ``part``: communes drawn by population, points uniform inside them."""
    rng = np.random.default_rng([seed, part])
    communes = geography.communes()
    weights = communes["population"].to_numpy(float)
    counts = rng.multinomial(n, weights / weights.sum())
    xs, ys, codes = [], [], []
    for polygon, code, count in zip(communes.geometry.to_numpy(), communes["code_insee"].to_numpy(), counts):
        if count == 0:
            continue
        west, south, east, north = polygon.bounds
        share = polygon.area / ((east - west) * (north - south))
        shapely.prepare(polygon)
        got_x, got_y, have = [], [], 0
        while have < count:  # rejection sampling in the bounding box
            draw = int((count - have) / max(share, 0.05) * 1.2) + 8
            x, y = rng.uniform(west, east, draw), rng.uniform(south, north, draw)
            inside = shapely.contains_xy(polygon, x, y)
            got_x.append(x[inside])
            got_y.append(y[inside])
            have += int(inside.sum())
        xs.append(np.concatenate(got_x)[:count])
        ys.append(np.concatenate(got_y)[:count])
        codes.append(np.full(count, code))
    x, y = np.concatenate(xs), np.concatenate(ys)
    return gpd.GeoDataFrame(
        {"commune_tiree": pd.Categorical(np.concatenate(codes)), "x": x, "y": y},
        geometry=shapely.points(x, y),
        crs=2154,
    )


def synthetic_points(n: int, *, seed: int = 0, partition_size: int = PARTITION_POINTS, engine: str = "memory"):
    """``n`` address-like points inside the communes, in proportion to their population.

    The points come in partitions of ``partition_size``, each from its own seeded
    generator: the in-memory frame is the concatenation of the Dask partitions.

    Returns
    -------
    geopandas.GeoDataFrame (memory) or dask_geopandas.GeoDataFrame (dask)
        ``commune_tiree`` (the commune each point was drawn in), ``x``, ``y`` and the
        point, in EPSG:2154.
    """
    _check_engine(engine)
    sizes = [partition_size] * (n // partition_size) + ([n % partition_size] if n % partition_size else [])
    path = str(geography.geodata_path())
    if engine == "memory":
        parts = [_partition_points(size, seed, i, path) for i, size in enumerate(sizes)]
        return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=2154)
    import dask.dataframe as dd
    import dask_geopandas

    meta = _partition_points(10, seed, 0, path).iloc[:0]
    frame = dd.from_map(
        _partition_entry, list(enumerate(sizes)), seed=seed, path=path, meta=meta, enforce_metadata=False
    )
    return (
        frame
        if isinstance(frame, dask_geopandas.GeoDataFrame)
        else dask_geopandas.from_dask_dataframe(frame, geometry="geometry")
    )


def _partition_entry(part_size: tuple[int, int], *, seed: int, path: str) -> gpd.GeoDataFrame:
    part, size = part_size
    return _partition_points(size, seed, part, path)


# --------------------------------------------------------------------------- assignment


def _assign(points: gpd.GeoDataFrame, path: str, scheme_pairs) -> pd.DataFrame:
    """The commune and territory of each point, on the caller's geography (``path``)."""
    with geography.using(path):
        return _assign_here(points, scheme_pairs)


def _assign_here(points: gpd.GeoDataFrame, scheme_pairs) -> pd.DataFrame:
    index = _index()
    geoms = (
        points.geometry.to_numpy()
        if points.crs is None or points.crs.to_epsg() == 2154
        else points.to_crs(2154).geometry.to_numpy()
    )
    hit_point, hit_commune = index.tree.query(geoms, predicate="intersects")
    first = np.ones(len(hit_point), dtype=bool)
    first[1:] = hit_point[1:] != hit_point[:-1]  # query returns pairs ordered by point: keep each point's first
    position = np.full(len(geoms), -1)
    position[hit_point[first]] = hit_commune[first]
    codes = pd.Categorical.from_codes(position, categories=index.tree_codes)
    territory = dict(scheme_pairs)
    names = pd.Categorical.from_codes(
        np.where(position >= 0, pd.Categorical([territory[c] for c in index.tree_codes]).codes[position], -1),
        categories=pd.Categorical([territory[c] for c in index.tree_codes]).categories,
    )
    return pd.DataFrame({"code_insee": codes, "territoire": names}, index=points.index)


def assign_points(points, *, scheme: SchemeLike = "cper2000", engine: str = "memory"):
    """The commune and territory holding each point (NaN outside the geography).

    Parameters
    ----------
    points : geopandas.GeoDataFrame or dask_geopandas.GeoDataFrame
        Points with a CRS (transformed to Lambert-93 if needed).
    scheme : territory scheme
    engine : {"memory", "dask"}
        ``dask`` needs a dask_geopandas frame; the work runs partition by partition.

    Returns
    -------
    pandas.DataFrame or dask.dataframe.DataFrame
        ``code_insee`` and ``territoire`` (categoricals) on the points' index.
    """

    _check_engine(engine)
    pairs = tuple(resolve_scheme(scheme).items())
    path = str(geography.geodata_path())
    if engine == "memory":
        return _assign(points, path, pairs)
    meta = _assign(points._meta, path, pairs)
    return points.map_partitions(_assign, path, pairs, meta=meta)


# --------------------------------------------------------------------------- coverage counts


def _coverage_counts(
    points: gpd.GeoDataFrame, facilities_xy: np.ndarray, radius_m: float, path: str, scheme_pairs
) -> pd.DataFrame:
    from scipy.spatial import cKDTree

    assigned = _assign(points, path, scheme_pairs)
    xy = np.column_stack([shapely.get_x(points.geometry.to_numpy()), shapely.get_y(points.geometry.to_numpy())])
    if len(facilities_xy):
        distance, _ = cKDTree(facilities_xy).query(xy, k=1, distance_upper_bound=radius_m * 1.000001)
        covered = distance <= radius_m
    else:
        covered = np.zeros(len(xy), dtype=bool)
    codes = assigned["code_insee"].astype(object).where(assigned["code_insee"].notna(), "")  # "": outside
    frame = pd.DataFrame({"code_insee": codes, "points": 1, "points_couverts": covered.astype(int)})
    counts = frame.groupby("code_insee")[["points", "points_couverts"]].sum().reset_index()
    return counts.astype({"code_insee": "object", "points": "int64", "points_couverts": "int64"})


def point_coverage(
    points, facilities: gpd.GeoDataFrame | None, *, radius_km: float, scheme="cper2000", engine: str = "memory"
) -> pd.DataFrame:
    """Per commune: the points it holds and those within ``radius_km`` of a facility.

    Returns
    -------
    pandas.DataFrame
        ``code_insee``, ``commune``, ``territoire``, ``points``, ``points_couverts``,
        ``part_couverte`` — every commune of the geography, plus a row ``hors zone``
        for points outside it.
    """

    _check_engine(engine)
    scheme_series = resolve_scheme(scheme)
    pairs = tuple(scheme_series.items())
    path = str(geography.geodata_path())
    xy = np.empty((0, 2))
    if facilities is not None and len(facilities):
        l93 = facilities.to_crs(2154).geometry
        xy = np.column_stack([l93.x.to_numpy(), l93.y.to_numpy()])
    if engine == "memory":
        counts = _coverage_counts(points, xy, radius_km * 1000, path, pairs).set_index("code_insee")
    else:  # one pass over the partitions: counts per commune (and "" outside), summed
        meta = _coverage_counts(points._meta, xy, radius_km * 1000, path, pairs)
        parts = points.map_partitions(_coverage_counts, xy, radius_km * 1000, path, pairs, meta=meta)
        counts = parts.groupby("code_insee").sum().compute()
    communes = geography.communes().set_index("code_insee")
    table = counts.reindex(communes.index, fill_value=0).astype(int)
    table = table.assign(commune=communes["nom"], territoire=scheme_series.reindex(communes.index)).reset_index()
    outside = int(counts["points"].get("", 0))
    if outside:
        table = pd.concat(
            [
                table,
                pd.DataFrame(
                    [
                        {
                            "code_insee": "",
                            "commune": "hors zone",
                            "territoire": None,
                            "points": outside,
                            "points_couverts": 0,
                        }
                    ]
                ),
            ],
            ignore_index=True,
        )
    table["part_couverte"] = np.where(
        table["points"] > 0, table["points_couverts"] / table["points"].clip(lower=1), np.nan
    )
    return table[["code_insee", "commune", "territoire", "points", "points_couverts", "part_couverte"]]


# --------------------------------------------------------------------------- geocoding by partition


def _geocode_all(frame: pd.DataFrame, path: str, options: dict, offsets=None, partition_info=None) -> pd.DataFrame:
    """Every row with its geocoding columns (accepted or rejected) and x, y in Lambert-93."""

    number = partition_info["number"] if offsets is not None and partition_info is not None else None
    result = _geocode_part(frame, path, options, 1 + (offsets[number] if number is not None else 0))
    accepted = pd.DataFrame(result.accepted.drop(columns="geometry")).assign(
        x=result.accepted.geometry.x.round(2), y=result.accepted.geometry.y.round(2)
    )
    rows = pd.concat([accepted, result.rejected]).loc[frame.index]
    columns = [c for c in rows.columns if c not in RESULT_COLUMNS and c not in ("x", "y", "input_row")]
    ordered = rows[[*columns, "input_row", *[c for c in RESULT_COLUMNS if c in rows], "x", "y"]]
    return ordered.astype({c: "object" for c in ordered.columns if c not in ("x", "y", "geocode_score", "input_row")})


def _geocode_part(frame: pd.DataFrame, path: str, options: dict, first_row: int):
    """:func:`territorial.geocode` of one partition, on the caller's geography, rows numbered from ``first_row``."""
    with geography.using(path):
        return geocode(frame, first_row=first_row, **options)


def _offsets(frame) -> list[int]:
    """Number of rows before each partition of a dask frame."""
    lengths = frame.map_partitions(len).compute()
    return [0, *np.cumsum(lengths)[:-1].tolist()]


def geocode_partitions(frame, *, engine: str = "memory", **options):
    """Geocode a (dask) DataFrame partition by partition; every row comes back with its status.

    Row order, row numbers and results are those of :func:`territorial.geocode` on the
    whole table, except duplicate identifiers, which are looked for within each partition
    only (:func:`geocode_csv` looks for them in the whole file).
    """
    _check_engine(engine)
    path = str(geography.geodata_path())
    if engine == "memory":
        return _geocode_all(frame, path, options)
    meta = _geocode_all(frame._meta_nonempty.head(1), path, options).iloc[:0]
    return frame.map_partitions(_geocode_all, path, options, _offsets(frame), meta=meta)


@dataclass(frozen=True)
class CsvGeocodeSummary:
    """What :func:`geocode_csv` did: rows read, rows per status, identifiers repeated anywhere in the file."""

    n_input: int
    statuses: pd.Series
    duplicate_ids: pd.DataFrame
    partitions: int

    def summary_text(self) -> str:
        """The summary as French lines, for the CLI and logs."""

        return "\n".join(
            summary_lines(
                self.n_input, self.statuses, self.duplicate_ids, heading=f" en {self.partitions} partition(s)"
            )
        )

    @property
    def n_rejected(self) -> int:
        """Rows not accepted."""

        return self.n_input - int(self.statuses.reindex(list(ACCEPTED), fill_value=0).sum())


def _ordered(tasks, *, window: int):
    """Results of delayed ``tasks`` in order, at most ``window`` in flight (on the current Dask client if any)."""
    try:
        from distributed import get_client

        client = get_client()
    except (ImportError, ValueError):
        client = None
    if client is None:
        for task in tasks:
            yield task.compute()
        return
    pending: deque = deque()
    for task in tasks:
        pending.append(client.compute(task))
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def geocode_csv(
    source,
    *,
    accepted,
    rejected,
    partition_rows: int = PARTITION_POINTS,
    sep: str | None = None,
    encoding: str | None = None,
    window: int = 4,
    progress=None,
    **options,
) -> CsvGeocodeSummary:
    """Geocode a large delimited text file on Dask, streaming: memory is bounded by the partition size.

    Partitions are geocoded in parallel (on the current Dask client, else the local
    scheduler) and written in file order, so that ``accepted`` (CSV, ``x``/``y`` in
    Lambert-93) and ``rejected`` (CSV) are the files :func:`territorial.geocode_file`
    would give for the same rows; each file appears only once complete.

    Parameters
    ----------
    source : path
        CSV/TXT file with a header on its first line.
    accepted, rejected : path
        Output CSV files.
    partition_rows : int
        Approximate rows per partition.
    sep, encoding : str, optional
        Delimiter and encoding (default: detected from the first 64 KB).
    window : int
        Partitions in flight at once.
    progress : callable, optional
        Called with the number of rows written after each partition.
    **options
        Passed to :func:`territorial.geocode`.

    Returns
    -------
    CsvGeocodeSummary
    """
    import dask
    from dask.dataframe.io.csv import read_pandas

    source = Path(source)
    if source.suffix.lower() not in TEXT_SUFFIXES:
        raise InputFileError(
            f"{source}: the Dask engine reads delimited text ({', '.join(TEXT_SUFFIXES)}); "
            "convert the file to CSV, or use the in-memory engine"
        )
    if int(partition_rows) < 1:
        raise ArgumentError(f"`partition_rows` must be at least 1, got {partition_rows!r}")
    detected_encoding, detected_sep = sniff_text(source)
    encoding, sep = encoding or detected_encoding, sep or detected_sep
    _check_encoding(source, encoding)
    with open(source, "rb") as handle:
        head = handle.read(65536)
    bytes_per_row = max(len(head) / max(head.count(b"\n"), 1), 1.0)
    read = {"sep": sep, "encoding": encoding, "dtype": str, "keep_default_na": False, "na_values": [""]}

    def unreadable(exc: Exception) -> InputFileError:
        return _unreadable(source, exc, sep=sep, encoding=encoding)

    try:
        blocksize = max(int(bytes_per_row * partition_rows), 1024)
        table = read_pandas(strict_read_csv, str(source), blocksize=blocksize, index_col=False, **read)
        offsets = _offsets(table)
    except (UnicodeDecodeError, ValueError, pd.errors.ParserError, pd.errors.ParserWarning) as exc:
        raise unreadable(exc) from exc
    try:  # the columns are checked here, once, rather than in every worker
        id_column = location_columns(table._meta, options.get("columns")).get("id")
    except InputFileError as exc:
        raise unreadable(exc) from exc
    if id_column is not None:  # a first pass over the identifiers, so that every row notes its repetitions
        options = {**options, "repeated_ids": find_repeated_ids(table[id_column].compute())}
    path = str(geography.geodata_path())
    tasks = [
        dask.delayed(_geocode_part)(part, path, options, 1 + offset)
        for part, offset in zip(table.to_delayed(), offsets)
    ]
    statuses, written = pd.Series(dtype=int), 0

    def write(tmp_accepted: Path, tmp_rejected: Path) -> None:
        nonlocal statuses, written
        with (
            open(tmp_accepted, "w", encoding="utf-8", newline="") as good,
            open(tmp_rejected, "w", encoding="utf-8", newline="") as bad,
        ):
            for number, result in enumerate(_ordered(tasks, window=window)):
                _points_table(result.accepted).to_csv(good, index=False, header=number == 0)
                result.rejected.to_csv(bad, index=False, header=number == 0)
                statuses = statuses.add(result.summary.set_index("geocode_status")["rows"], fill_value=0)
                written += len(result.accepted) + len(result.rejected)
                if progress is not None:
                    progress(written)
        if written == 0:  # as the in-memory engine says it
            raise InputFileError("it has a header but no data rows; add one row per record")

    try:
        _atomic(Path(rejected), lambda tmp_rejected: _atomic(Path(accepted), lambda tmp: write(tmp, tmp_rejected)))
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.ParserWarning, InputFileError) as exc:
        raise unreadable(exc) from exc
    return CsvGeocodeSummary(
        n_input=written,
        statuses=statuses.astype(int),
        partitions=len(tasks),
        duplicate_ids=duplicate_table(options.get("repeated_ids", {})),
    )


def _unreadable(source: Path, exc: Exception, *, sep: str, encoding: str) -> InputFileError:
    """The error for a text file the partitions could not read (or the geocoder refused), naming the file."""
    if isinstance(exc, InputFileError):  # from the geocoder: say which file
        return InputFileError(f"{source}: {exc}")
    if isinstance(exc, (pd.errors.ParserError, pd.errors.ParserWarning)):
        with open(source, encoding=encoding, newline="") as lines:  # one pass: partitions number lines anew
            where = ragged_row(lines, sep)
        if where:
            return not_well_formed(source, where, sep)
    return InputFileError(
        f"{source} cannot be read in partitions ({exc}); check --sep and --encoding, or use "
        "the in-memory engine, which also reads title rows and mixed encodings"
    )


def strict_read_csv(*args, **kwargs) -> pd.DataFrame:
    """:func:`pandas.read_csv` for which a row longer than the header is an error (pandas drops its extra fields)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.ParserWarning)
        return pd.read_csv(*args, **kwargs)


def _check_encoding(source, encoding: str) -> None:
    """An encoding the partitions can be read with: one known to Python, the same for every line."""
    if encoding.startswith("mixte"):
        raise InputFileError(
            f"{source} mixes encodings (lines in UTF-8 and in Windows-1252); the Dask engine reads one encoding: "
            "convert the file to UTF-8 (e.g. `iconv`), or use the in-memory engine, which reads it line by line"
        )
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ArgumentError(f"--encoding {encoding!r} is not an encoding Python knows; try utf-8 or cp1252") from None


def read_points_table(frame: pd.DataFrame, columns: dict[str, str], crs) -> gpd.GeoDataFrame:
    """Points from x/y or longitude/latitude text columns (a partition of a large file); unreadable rows are empty."""

    if "x" in columns:
        a, b = to_number(frame[columns["x"]]), to_number(frame[columns["y"]])
    else:
        a, b = to_degrees(frame[columns["longitude"]]), to_degrees(frame[columns["latitude"]])
    points = gpd.GeoDataFrame(frame, geometry=shapely.points(a, b), crs=crs)
    return points.to_crs(2154) if points.crs.to_epsg() != 2154 else points


def read_points(source: str | Path, *, engine: str = "memory", partition_rows: int = PARTITION_POINTS, crs=None):
    """A points file as a GeoDataFrame in Lambert-93, or a dask-geopandas one with ``engine="dask"``.

    A text file needs x/y (Lambert-93 unless ``crs``) or latitude/longitude (WGS84 unless
    ``crs``) columns; any other format :func:`territorial.io.read_input` reads is taken as is.
    """
    _check_engine(engine)
    source = Path(source)
    if source.suffix.lower() not in TEXT_SUFFIXES:
        frame = read_input(source).to_crs(2154)
        if engine == "dask":
            import dask_geopandas

            return dask_geopandas.from_geopandas(frame, chunksize=partition_rows)
        return frame
    encoding, sep = sniff_text(source)
    try:
        header = pd.read_csv(source, sep=sep, encoding=encoding, dtype=str, nrows=100, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputFileError(
            f"{source} is not a delimited table of points ({' '.join(str(exc).split())}); give a CSV with a header "
            "row and x, y (Lambert-93) or latitude, longitude columns"
        ) from None
    columns = detect_columns(header)
    if not ({"x", "y"} <= set(columns) or {"latitude", "longitude"} <= set(columns)):
        raise InputFileError(
            f"{source}: no x/y or latitude/longitude columns among {list(header.columns)}; "
            "name them x, y (Lambert-93) or latitude, longitude"
        )
    crs = crs or ("EPSG:2154" if "x" in columns else "EPSG:4326")
    if engine == "dask":
        from dask.dataframe.io.csv import read_pandas

        read = {"sep": sep, "encoding": encoding, "dtype": str, "keep_default_na": False, "na_values": [""]}
        table = read_pandas(strict_read_csv, str(source), blocksize=64_000_000, index_col=False, **read)
        meta = read_points_table(header.iloc[:0], columns, crs)
        return table.map_partitions(read_points_table, columns, crs, meta=meta)
    return read_points_table(read_input(source), columns, crs)

"""Writing files whole or not at all, folders of outputs as transactions, and point tables.

* :func:`atomic_write`: every file of the tool goes through a temporary file in the target
  folder, renamed into place at the end, so that a reader never sees half a file.
* :class:`OutputFolder`: a command that writes a folder of outputs builds them in a staging
  folder and switches them into place at the end, with ``manifeste.json`` (each file the tool
  wrote and its sha256, the command, its parameters, versions and date). After an
  interruption at any point, every file the folder's manifest lists is there with its
  sha256; the next command on the folder finishes or discards the interrupted switch.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from importlib import metadata
from pathlib import Path
from types import TracebackType
from typing import Any

import geopandas as gpd
import pandas as pd

from territorial._errors import ArgumentError, ExistingFileError
from territorial._format import production_date
from territorial._text import repair_surrogates

logger = logging.getLogger(__name__)

__all__ = ["MANIFEST", "OutputFolder", "atomic_write", "disk_full_said", "placed", "points_table", "recover"]

#: The manifest of a folder of outputs.
MANIFEST = "manifeste.json"
#: The staging folder of a transaction, inside the output folder (same file system: renames are atomic).
STAGING = ".territorial-en-cours"
#: Prefix of the temporary files of :func:`atomic_write` (left behind only by a killed process).
TEMPORARY = ".territorial-tmp-"
#: Packages whose versions a manifest records.
VERSIONED = ("territorial", "geopandas", "shapely", "pyproj", "pyogrio", "pandas", "numpy", "folium", "scipy")


def sync(path: Path) -> None:
    """Ask the system to put a file's bytes, or a folder's entries, on the disk (``fsync``)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


#: Below this much free space, a failed write is taken for a full disk.
NEARLY_FULL = 1 << 20


@contextlib.contextmanager
def disk_full_said(folder: Path) -> Iterator[None]:
    """A write that fails on a full disk raises ``OSError(ENOSPC)``, whoever failed and however they said it.

    GDAL drivers and SQLite report a full disk in their own words ("Could not add feature",
    "no such table", "I/O failure"); the file system's free space (checked while the partial
    file still takes its room) tells what happened.
    """
    try:
        yield
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT) and not exc.filename:  # say where
            raise OSError(exc.errno, exc.strerror, str(placed(folder))) from exc
        raise
    except Exception as exc:
        said = str(exc).lower()
        full = "no space left" in said or "disk is full" in said
        with contextlib.suppress(OSError):
            full = full or shutil.disk_usage(folder).free < NEARLY_FULL
        if full:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(placed(folder))) from exc
        raise


def atomic_write(path: Path, write: Callable[[Path], object]) -> Path:
    """Write through a temporary file in the target folder, on the disk before it is renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f"{TEMPORARY}{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        tmp.unlink()  # GDAL drivers want to create the file themselves
        with disk_full_said(path.parent):
            write(tmp)
        sync(tmp)
        tmp.replace(path)
        sync(path.parent)
    finally:
        tmp.unlink(missing_ok=True)
    logger.info("wrote %s", path)
    return path


def points_table(frame: gpd.GeoDataFrame) -> pd.DataFrame:
    """The attributes of a point layer plus ``x``, ``y`` in Lambert-93 (EPSG:2154), rounded to the centimetre."""
    l93 = frame.to_crs(2154)
    return pd.DataFrame(l93.drop(columns=l93.geometry.name)).assign(
        x=l93.geometry.x.round(2), y=l93.geometry.y.round(2)
    )


# --------------------------------------------------------------------------- folders as transactions


def placed(path: Path) -> Path:
    """Where a file written into a transaction's staging folder lands once the transaction ends."""
    parts = path.parts
    if STAGING not in parts:
        return path
    at = parts.index(STAGING)
    return Path(*parts[:at], *parts[at + 1 :])


def sha256(path: Path) -> str:
    """The sha256 of a file's bytes, in hexadecimal."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(folder: Path) -> dict[str, Any]:
    """The folder's manifest (empty when it has none or it is unreadable)."""
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _sets(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The sets of files of a manifest, by key (a manifest of the first format is one set)."""
    if "ensembles" in manifest:
        return {key: dict(entry) for key, entry in manifest["ensembles"].items()}
    if manifest.get("fichiers"):
        entry = {k: manifest.get(k) for k in ("commande", "parametres", "date", "versions")}
        return {manifest.get("commande", "?"): entry | {"fichiers": sorted(manifest["fichiers"])}}
    return {}


def _ours(folder: Path) -> dict[str, Any]:
    """The folder's manifest; one that territorial did not write is refused (it is never replaced)."""
    path = folder / MANIFEST
    if not path.exists():
        return {}
    manifest = read_manifest(folder)
    if (
        not isinstance(manifest, dict)
        or manifest.get("outil") != "territorial"
        or not isinstance(manifest.get("fichiers"), dict)
    ):
        raise ArgumentError(
            f"{path} exists and territorial did not write it; nothing was changed: "
            "move it away or write the outputs to another folder (-o)"
        )
    return manifest


def _versions() -> dict[str, str]:
    found = {"python": sys.version.split()[0]}
    for name in VERSIONED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Ctrl-C (SIGINT) and SIGTERM wait until the block ends, then act as they would have (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    held = {number: signal.signal(number, lambda number, frame: received.append(number)) for number in _HELD}
    try:
        yield
    finally:
        for number, handler in held.items():
            signal.signal(number, handler)
        if received:
            signal.raise_signal(received[0])


_HELD = (signal.SIGINT, signal.SIGTERM)


def _roll_forward(folder: Path) -> None:
    """Finish a switch whose staged set is complete: move its files in, remove the retired ones, place the manifest.

    Ctrl-C and SIGTERM wait for the end of the switch (a kill -9 is finished by :func:`recover`).
    """
    with _signals_held():
        _move_staged(folder)


def _move_staged(folder: Path) -> None:
    staging = folder / STAGING
    manifest = json.loads((staging / MANIFEST).read_text(encoding="utf-8"))
    (folder / MANIFEST).unlink(missing_ok=True)  # from here until the end the folder lists nothing it might not hold
    for name in manifest["fichiers"]:
        source = staging / name
        if source.exists():  # moved already when a previous switch was interrupted
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, folder / name)
    for name in manifest.get("retires", []):
        (folder / name).unlink(missing_ok=True)
    for moved in {(folder / name).parent for name in manifest["fichiers"]}:
        sync(moved)  # the files' new places are on the disk before the manifest that lists them
    os.replace(staging / MANIFEST, folder / MANIFEST)
    sync(folder)
    shutil.rmtree(staging, ignore_errors=True)


def recover(folder: Path) -> None:
    """Finish or discard the transaction a killed process left in ``folder``, and remove its temporary files."""
    staging = folder / STAGING
    if (staging / MANIFEST).is_file():
        logger.warning("%s: finishing the outputs of an interrupted run", folder)
        _roll_forward(folder)
    elif staging.exists():
        logger.warning("%s: removing the incomplete outputs of an interrupted run", folder)
        shutil.rmtree(staging, ignore_errors=True)
    for leftover in folder.glob(f"{TEMPORARY}*"):
        leftover.unlink(missing_ok=True)


class OutputFolder:
    """Outputs written into a folder as one transaction, recorded in the folder's manifest.

    ``with OutputFolder(folder, command=..., parameters=...) as staging:`` — write every output
    into ``staging``; when the block ends without error the files switch into ``folder`` and
    ``manifeste.json`` records them as the set ``key`` (default: the command) with the command,
    its parameters, versions and date. Files the set held before and this command no longer
    writes are removed; the other sets of the folder (other commands, other output names) and
    anything the tool did not write are never touched. A file in ``folder`` that the tool did
    not write (not in its manifest), one of ``inputs``, or (with ``replace=False``) any existing
    file, is never replaced: the switch is refused with :class:`ArgumentError` before anything
    moves; the names in ``expected`` are checked so before any work. On error the staging is
    removed and the folder keeps its previous files.
    """

    def __init__(
        self,
        folder: str | Path,
        *,
        command: str,
        parameters: dict[str, Any],
        inputs: Iterable[str | Path] = (),
        key: str | None = None,
        replace: bool = True,
        expected: Iterable[str] = (),
    ) -> None:
        self.folder = Path(folder)
        self.command = command
        self.parameters = parameters
        self.inputs = {Path(p).resolve() for p in inputs}
        self.key = key or command
        self.replace = replace
        self.expected = sorted(expected)

    def __enter__(self) -> Path:
        if self.folder.exists() and not self.folder.is_dir():
            raise ArgumentError(f"{self.folder} is a file, not a folder: give a folder for the outputs (-o)")
        self._created = not self.folder.exists()
        self.folder.mkdir(parents=True, exist_ok=True)
        # a lock on the folder itself (no file of ours in it), held for the whole transaction
        self._lock = os.open(self.folder, os.O_RDONLY)
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock)
            raise ArgumentError(
                f"another territorial command is writing into {self.folder}; wait for it to end or write elsewhere (-o)"
            ) from None
        try:
            recover(self.folder)
            listed = set(_ours(self.folder).get("fichiers", {}))  # a foreign manifest is refused before any work
            self._refuse_clobbering(self.expected, listed)  # and the outputs known beforehand
            staging = self.folder / STAGING
            staging.mkdir()
        except BaseException:
            os.close(self._lock)
            raise
        return staging

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        try:
            if kind is not None:
                self._discard()
                return
            try:
                self._commit()
            except BaseException:
                if not (self.folder / STAGING / MANIFEST).exists():  # else the switch began: recover() finishes it
                    self._discard()
                raise
        finally:
            os.close(self._lock)  # releases the lock

    def _discard(self) -> None:
        """Remove the staged outputs, and the output folder if this transaction created it and it is empty."""
        shutil.rmtree(self.folder / STAGING, ignore_errors=True)
        if self._created:
            with contextlib.suppress(OSError):
                self.folder.rmdir()

    def _commit(self) -> None:
        staging = self.folder / STAGING
        names = sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file())
        previous = _ours(self.folder)
        self._refuse_clobbering(names, set(previous.get("fichiers", {})))
        sets = _sets(previous)
        retired = sorted(set(sets.pop(self.key, {}).get("fichiers", [])) - set(names))
        for entry in sets.values():  # a file this command writes now belongs to its set only
            entry["fichiers"] = [name for name in entry["fichiers"] if name not in names]
        sets = {key: entry for key, entry in sets.items() if entry["fichiers"]}
        sets[self.key] = {
            "commande": self.command,
            "parametres": self.parameters,
            "date": production_date().isoformat(),
            "versions": _versions(),
            "fichiers": names,
        }
        kept = {name: digest for name, digest in previous.get("fichiers", {}).items() if name not in retired}
        manifest = {
            "outil": "territorial",
            "fichiers": dict(sorted((kept | {name: sha256(staging / name) for name in names}).items())),
            "ensembles": dict(sorted(sets.items())),
            "retires": retired,
        }
        text = repair_surrogates(json.dumps(manifest, ensure_ascii=False, indent=2, default=str)) + "\n"
        atomic_write(staging / MANIFEST, lambda tmp: tmp.write_text(text, encoding="utf-8"))
        _roll_forward(self.folder)

    def _refuse_clobbering(self, names: list[str], listed: set[str]) -> None:
        for name in names:
            target = self.folder / name
            if target.resolve() in self.inputs:
                raise ArgumentError(
                    f"{target} is one of the inputs and this command would replace it with an output; "
                    "write the outputs to another folder or name (-o)"
                )
            if target.exists() and name not in listed:
                raise ArgumentError(
                    f"{target} exists and territorial did not write it (it is not in {self.folder / MANIFEST}); "
                    "nothing was changed: move it away or write the outputs to another folder or name (-o)"
                )
            if target.exists() and not self.replace:
                raise ExistingFileError(
                    f"{target} already exists; nothing was changed: pass --overwrite to replace it "
                    "or write the outputs to another name (-o)"
                )

"""Rebuild the README gallery: run the default scenario, then screenshot its pages in headless Chromium.

Run from the repository root after `npm ci`: ``.venv/bin/python docs/make_gallery.py``.
The pages are self-contained, so Chromium needs no network.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHOTS = {
    "carte.html": ("carte.png", "1280,860"),
    "rapport.html": ("rapport.png", "1100,1700"),
    "carte_sites.html": ("carte_sites.png", "1280,700"),
}


def main() -> None:
    chromium = shutil.which("chromium") or sys.exit("install Debian's chromium first")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "maps"
        subprocess.run(
            [str(Path(sys.executable).parent / "territorial"), "run", "-o", str(out)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        for page, (png, size) in SHOTS.items():
            subprocess.run(
                [
                    chromium,
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-quic",
                    f"--user-data-dir={tmp}/profile",
                    f"--window-size={size}",
                    "--hide-scrollbars",
                    "--virtual-time-budget=10000",
                    f"--screenshot={HERE / 'gallery' / png}",
                    (out / page).as_uri(),
                ],
                check=True,
                capture_output=True,
            )
            print(HERE / "gallery" / png)


if __name__ == "__main__":
    main()

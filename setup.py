"""Build hook: a wheel built after ``npm ci`` carries the map files, so its maps open offline wherever it is installed.

Everything else about the package is in ``pyproject.toml``. The files are those that
``territorial/_assets.py`` inlines (its ``ASSETS`` table, read here without importing the
package), with the images their style sheets point to and each npm package's licence; they
land in ``territorial/_static`` inside the wheel, laid out as in ``node_modules``. Without
``node_modules`` the wheel carries none, and the maps look for them at run time
(``TERRITORIAL_ASSETS``, ``./node_modules``).
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
IMAGES = (".png", ".svg", ".gif")


def asset_files() -> list[str]:
    """The values of ``ASSETS`` in ``territorial/_assets.py`` (paths inside ``node_modules``)."""
    tree = ast.parse((HERE / "territorial" / "_assets.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.AnnAssign | ast.Assign):
            targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
            if any(getattr(t, "id", None) == "ASSETS" for t in targets):
                return sorted(set(ast.literal_eval(node.value).values()))
    raise RuntimeError("territorial/_assets.py has no ASSETS table")


def copy_assets(source: Path, target: Path) -> list[Path]:
    """Copy each asset, the images beside it or in its ``images/`` folder, and its package's licence."""
    copied = []
    for relative in asset_files():
        file = source / relative
        extras = [p for p in file.parent.iterdir() if p.suffix in IMAGES]
        extras += [p for p in (file.parent / "images").glob("*") if p.suffix in IMAGES]
        package = source / relative.split("/")[0]
        extras += list(package.glob("LICENSE*"))
        for path in [file, *extras]:
            destination = target / path.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)
            copied.append(destination)
    return copied


class BuildWithMapFiles(build_py):
    """``build_py``, then the map files from ``node_modules`` into the built package (when installed)."""

    def run(self) -> None:
        super().run()
        source = HERE / "node_modules"
        if not (source / "leaflet" / "dist" / "leaflet.js").is_file():
            print("territorial: no node_modules (run `npm ci` first): the wheel carries no map files")
            return
        copied = copy_assets(source, Path(self.build_lib) / "territorial" / "_static")
        print(f"territorial: {len(copied)} map files packaged in territorial/_static")


setup(cmdclass={"build_py": BuildWithMapFiles})

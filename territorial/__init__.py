"""territorial: territorial-coverage analysis of the Nord-Pas de Calais information-society plan.

The public API, by capability:

* reference geography: :func:`communes`, :func:`town_halls`, :func:`gazetteer`, :func:`metadata`
* territory schemes: :func:`territories`, :func:`default_scheme`, :func:`read_scheme`,
  :func:`scheme_from_table`, :func:`scheme_from_polygons`, :func:`validate_scheme`
* reading and geocoding: :func:`read_input`, :func:`geocode`, :func:`geocode_file`, :func:`load_facilities`,
  :func:`detect_columns`
* spatial balance: :func:`analyse` (-> :class:`Analysis`), and the array maths in
  :mod:`territorial.coverage` and :mod:`territorial.balance`
* maps and report: :func:`coverage_map`, :func:`territories_map`, :func:`save_map`, :func:`show_map`,
  :func:`write_report`
* GIS exports: :func:`export_analysis`
* the programme ledger: :func:`load_programme`, :func:`validate_source`, :func:`check_projects`,
  :func:`programme_report`, :func:`programme_from_file`
* siting: :func:`site`, :func:`sites_for_share` (array maths in :mod:`territorial.siting`)
* the main job: :func:`load_scenario`, :func:`default_scenario`, :func:`run_scenario`;
  every CLI command as a function of files in :mod:`territorial.pipeline`
* French sentences made from results (method notes, summaries): :mod:`territorial.labels`
* another geography: ``with territorial.geography.using(path):``
"""

from importlib.metadata import version as _version

from territorial import geography, kinds, labels, pipeline
from territorial._errors import InputFileError, SchemeError, TerritorialError
from territorial.analysis import Analysis, analyse
from territorial.export import export_analysis
from territorial.geocode import GeocodeError, GeocodeResult, geocode, geocode_file
from territorial.geography import gazetteer, metadata, town_halls
from territorial.io import detect_columns, read_input, read_scheme
from territorial.maps import coverage_map, save_map, show_map, territories_map
from territorial.pipeline import LoadedFacilities, load_facilities, programme_from_file, run_scenario
from territorial.programme import (
    check_projects,
    load_programme,
    programme_report,
    validate_source,
)
from territorial.report import write_report
from territorial.scenario import default_scenario, load_scenario
from territorial.schemes import (
    CPER2000_TERRITORIES,
    communes,
    default_scheme,
    resolve_scheme,
    scheme_from_polygons,
    scheme_from_table,
    territories,
    validate_scheme,
)
from territorial.siting import site, sites_for_share

__version__ = _version("territorial")

__all__ = [
    "LoadedFacilities",
    "load_facilities",
    "Analysis",
    "analyse",
    "CPER2000_TERRITORIES",
    "GeocodeError",
    "GeocodeResult",
    "detect_columns",
    "geocode",
    "geocode_file",
    "read_input",
    "InputFileError",
    "SchemeError",
    "TerritorialError",
    "check_projects",
    "communes",
    "coverage_map",
    "default_scenario",
    "export_analysis",
    "load_programme",
    "load_scenario",
    "programme_from_file",
    "programme_report",
    "validate_source",
    "run_scenario",
    "write_report",
    "default_scheme",
    "gazetteer",
    "metadata",
    "read_scheme",
    "resolve_scheme",
    "save_map",
    "show_map",
    "site",
    "sites_for_share",
    "scheme_from_polygons",
    "scheme_from_table",
    "territories",
    "territories_map",
    "town_halls",
    "validate_scheme",
    "geography",
    "kinds",
    "labels",
    "pipeline",
]

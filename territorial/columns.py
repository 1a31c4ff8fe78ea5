"""Names of columns: the roles of input columns and the result columns of geocoding.

One catalogue, read by every part (inputs, measures, outputs), so that a name is spelt once.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "INDICATORS",
    "METHOD_LABELS",
    "POINT_IF_PAIRS",
    "RESULT_COLUMNS",
    "ROLE_NAMES",
    "STATUS_LABELS",
    "Indicator",
    "column",
    "method_label",
]

#: Usual column names of each role, in normalised form (see :func:`territorial.io.normalise_column_name`).
ROLE_NAMES: dict[str, tuple[str, ...]] = {
    "id": ("id", "identifiant", "id_lieu", "id_site", "ref", "reference", "code_site", "numero"),
    "code_insee": (
        "code_insee",
        "insee",
        "codgeo",
        "citycode",
        "code_commune_insee",
        "code_commune",
        "depcom",
        "com_insee",
        "insee_com",
        "code_insee_commune",
        "cog",
    ),
    "commune": (
        "commune",
        "ville",
        "city",
        "nom_commune",
        "libelle_commune",
        "localite",
        "municipality",
        "nom_de_la_commune",
        "lib_commune",
        "town",
    ),
    "code_postal": ("code_postal", "cp", "postcode", "postal_code", "zip", "zip_code", "zipcode", "codepostal"),
    "adresse": ("adresse", "address", "adresse_postale", "adresse_complete", "adr", "voie", "rue", "street"),
    "departement": ("departement", "dep", "dept", "code_departement", "code_dep", "num_dep"),
    "latitude": ("latitude", "lat", "lat_wgs84", "y_wgs84", "coord_lat"),
    "longitude": ("longitude", "lon", "lng", "long", "lon_wgs84", "x_wgs84", "coord_lon"),
    "x": ("x", "x_l93", "xl93", "x_lambert93", "x_lambert_93", "x_lamb93", "coord_x", "coordonnee_x", "easting"),
    "y": ("y", "y_l93", "yl93", "y_lambert93", "y_lambert_93", "y_lamb93", "coord_y", "coordonnee_y", "northing"),
    "point": (
        "geo_point_2d",
        "geo_point",
        "coordonnees",
        "coordonnees_gps",
        "coordinates",
        "latlon",
        "lat_lon",
        "lat_long",
        "gps",
        "position",
    ),
}

#: Names that hold a "latitude, longitude" point only when their values are pairs of numbers (a ``geo``
#: column may as well hold a word): read as the ``point`` role after a look at the values.
POINT_IF_PAIRS: tuple[str, ...] = (
    "geo",
    "geopoint",
    "geo_point_wgs84",
    "localisation",
    "localisation_gps",
    "coord",
    "coords",
    "coordonnees_wgs84",
    "latlng",
    "lat_lng",
    "wgs84",
)

#: Columns added to every geocoded row.
RESULT_COLUMNS = (
    "code_insee",
    "commune",
    "territoire",
    "epci",
    "epci_siren",
    "departement",
    "geocode_method",
    "geocode_score",
    "geocode_status",
    "geocode_note",
    "geocode_precision",
)


@dataclass(frozen=True)
class Indicator:
    """One indicator of a facility kind: its column pattern, unit, which way is better, French label.

    ``label`` is a template with ``{kinds}`` (the kind's French plural), ``{Kinds}`` (capitalised)
    and ``{radius}`` (« 5,0 km »).
    """

    pattern: str
    unit: str = ""
    better: str = ""  # "low", "high" or "" (neither)
    label: str = ""

    def column(self, kind: str) -> str:
        return self.pattern.format(k=kind)


#: Every per-kind indicator, named once: analysis builds these columns, maps, report and exports read them.
INDICATORS: dict[str, Indicator] = {
    "n": Indicator("n_{k}", "équipements", "high", "Nombre de {kinds}"),
    "per_10000": Indicator("{k}_pour_10000_hab", "pour 10 000 hab.", "high", "{Kinds} pour 10 000 habitants"),
    "per_100km2": Indicator("{k}_pour_100km2", "pour 100 km²", "high", "{Kinds} pour 100 km²"),
    "dist": Indicator("dist_{k}_km", "km", "low", "Distance au plus proche des {kinds} (km)"),
    "dist_mean": Indicator("dist_moy_{k}_km", "km", "low", "Distance moyenne au plus proche des {kinds} (km)"),
    "dist_median": Indicator("dist_med_{k}_km", "km", "low", "Distance médiane au plus proche des {kinds} (km)"),
    "dist_p90": Indicator("dist_p90_{k}_km", "km", "low", "Distance au plus proche des {kinds}, 90e centile (km)"),
    "covered": Indicator("couvert_{k}", "", "high", "Mairie à moins de {radius} des {kinds}"),
    "covered_area": Indicator(
        "couvert_surface_{k}", "part", "high", "Part de la surface à moins de {radius} des {kinds}"
    ),
    "share_covered": Indicator(
        "part_pop_couverte_{k}", "part", "high", "Part de la population à moins de {radius} des {kinds}"
    ),
    "share_covered_area": Indicator(
        "part_pop_couverte_surface_{k}",
        "part",
        "high",
        "Part de la population à moins de {radius} des {kinds} (surface)",
    ),
    "access_2sfca": Indicator(
        "acces_2sfca_{k}", "pour 10 000 hab.", "high", "Accessibilité aux {kinds} (2SFCA, capacité pour 10 000 hab.)"
    ),
    "access_e2sfca": Indicator(
        "acces_e2sfca_{k}",
        "pour 10 000 hab.",
        "high",
        "Accessibilité aux {kinds} (E2SFCA, capacité pour 10 000 hab.)",
    ),
    "lisa": Indicator("lisa_{k}", "", "", "Regroupements locaux (LISA) des distances aux {kinds}"),
    "expected": Indicator("attendu_{k}", "équipements", "", "Nombre attendu de {kinds} (part équitable)"),
    "gap": Indicator("ecart_{k}", "équipements", "high", "Écart à la part équitable des {kinds}"),
}


def column(name: str, kind: str) -> str:
    """The column of indicator ``name`` for ``kind``: ``column("dist", "cyber_centre")`` -> ``dist_cyber_centre_km``."""
    return INDICATORS[name].column(kind)


#: French label of each geocoding status, as the summaries and the report write it.
STATUS_LABELS = {
    "matched": "trouvées",
    "fuzzy": "trouvées (nom approché)",
    "ambiguous": "ambiguës",
    "unmatched": "introuvables",
    "outside_region": "hors région",
    "invalid": "invalides",
}

#: French label of each part of a ``geocode_method`` (parts are joined by « + »: ``postal_code+name``).
METHOD_LABELS = {
    "coordinates": "coordonnées",
    "insee_code": "code INSEE",
    "old_insee_code": "ancien code INSEE",
    "postal_code": "code postal",
    "departement": "département",
    "name": "nom de la commune",
    "name_without_article": "nom sans article",
    "name_in_two_parts": "nom en deux parties",
    "two_names": "deux communes nommées",
    "name_prefix": "début du nom",
    "unknown_name": "nom inconnu",
    "fuzzy_name": "nom approché",
    "ban_address": "adresse (BAN)",
}


def method_label(method: str) -> str:
    """A ``geocode_method`` in French: ``postal_code+name`` -> « code postal + nom de la commune »."""
    return " + ".join(METHOD_LABELS.get(part, part) for part in str(method or "").split("+") if part)

"""Names of columns: the roles of input columns and the result columns of geocoding.

One catalogue, read by every part (inputs, measures, outputs), so that a name is spelt once.
"""

from __future__ import annotations

__all__ = ["RESULT_COLUMNS", "ROLE_NAMES"]

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

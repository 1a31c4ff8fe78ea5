"""Run by Debian's python3 with python3-qgis: open GeoPackage layers in QGIS and print their renderers as JSON."""

import json
import os
import sys

os.environ["QT_QPA_PLATFORM"] = "offscreen"
from qgis.core import QgsApplication, QgsVectorLayer

app = QgsApplication([], False)
app.initQgis()
out = {}
for name in sys.argv[2:]:
    layer = QgsVectorLayer(f"{sys.argv[1]}|layername={name}", name, "ogr")
    renderer = layer.renderer()
    info = {
        "valid": layer.isValid(),
        "renderer": renderer.type() if renderer else None,
        "crs": layer.crs().authid(),
        "features": layer.featureCount(),
    }
    if renderer and renderer.type() == "graduatedSymbol":
        info["attr"] = renderer.classAttribute()
        info["ranges"] = [
            [r.lowerValue(), r.upperValue(), r.label(), r.symbol().color().name()] for r in renderer.ranges()
        ]
    elif renderer and renderer.type() == "singleSymbol":
        info["colour"] = renderer.symbol().color().name()
    out[name] = info
print(json.dumps(out), flush=True)
os._exit(0)  # PyQGIS may crash while tearing down layers at exit; the answer is already out

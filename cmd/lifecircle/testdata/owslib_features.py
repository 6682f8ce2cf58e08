"""OWSLib against a running lifecircle: read /ogc as a client would.

Run with Debian's python3 (python3-owslib):
    /usr/bin/python3 owslib_features.py BASE COLLECTION LIMIT MINLON,MINLAT,MAXLON,MAXLAT
It prints one JSON object with what OWSLib saw; the Go test
(cmd/lifecircle/interop_test.go) compares it with the server's own answers.
"""
import json
import sys
from urllib.parse import parse_qs, urlparse

from owslib import __version__ as owslib_version
from owslib.ogcapi.features import Features

base, coll, limit, bbox = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
w = Features(base)
out = {"owslib": owslib_version}
out["conformsTo"] = w.conformance()["conformsTo"]
out["collections"] = [c["id"] for c in w.collections()["collections"]]
api = w.api()  # found through the landing page's service-desc link
out["api_openapi"] = api["openapi"]
out["api_items_path"] = "/collections/%s/items" % coll in api["paths"]
meta = w.collection(coll)
out["collection_id"] = meta["id"]
out["collection_bbox"] = meta["extent"]["spatial"]["bbox"][0]

# Page through the collection, taking offset and limit from each next link.
ids, pages, offset, matched = [], 0, 0, None
while True:
    page = w.collection_items(coll, limit=limit, offset=offset)
    pages += 1
    if matched is not None and page["numberMatched"] != matched:
        sys.exit("numberMatched changed while paging")
    matched = page["numberMatched"]
    if page["numberReturned"] != len(page["features"]):
        sys.exit("numberReturned %d but %d features" % (page["numberReturned"], len(page["features"])))
    ids += [f["id"] for f in page["features"]]
    nxt = [l for l in page["links"] if l["rel"] == "next"]
    if not nxt:
        break
    q = parse_qs(urlparse(nxt[0]["href"]).query)
    offset, limit = int(q["offset"][0]), int(q["limit"][0])
    if pages > 10000:
        sys.exit("next links never end")
out["pages"], out["ids"], out["numberMatched"] = pages, ids, matched

first = w.collection_item(coll, str(ids[0]))
out["item"] = {"id": first["id"], "geometry": first["geometry"]["type"], "properties": sorted(first["properties"])}

inbox = w.collection_items(coll, bbox=[float(v) for v in bbox.split(",")], limit=10000)
out["bbox_ids"] = [f["id"] for f in inbox["features"]]
out["queryables"] = sorted(w.collection_queryables(coll)["properties"])
print(json.dumps(out, ensure_ascii=False))

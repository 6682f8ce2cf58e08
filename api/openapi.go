package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"lifecircle/coverage/collection"
)

// The OpenAPI 3.0 definition of /ogc, generated from the collection
// registry so it cannot drift: every collection's items path declares its
// queryable properties (GDAL sends only those to the server) and its
// feature schema.

type obj = map[string]any

func ref(path string) obj { return obj{"$ref": path} }

func param(name string) obj { return ref("#/components/parameters/" + name) }

func jsonResponse(desc, media string, schema obj) obj {
	return obj{"description": desc, "content": obj{media: obj{"schema": schema}}}
}

func errorResponses(r obj) obj {
	r["400"] = jsonResponse("bad request: the message names the parameter at fault", mediaJSON, ref("#/components/schemas/exception"))
	r["404"] = jsonResponse("not found", mediaJSON, ref("#/components/schemas/exception"))
	r["500"] = jsonResponse("internal error", mediaJSON, ref("#/components/schemas/exception"))
	return r
}

func op(summary, id string, params []any, responses obj) obj {
	return obj{"get": obj{"summary": summary, "operationId": id, "parameters": params, "responses": errorResponses(responses)}}
}

func openAPIDoc(base string, set *collection.Set) obj {
	common := []any{param("f")}
	paths := obj{
		"/": op("landing page 首页", "getLandingPage", common, obj{"200": jsonResponse("links to the API, conformance and collections", mediaJSON, ref("#/components/schemas/landingPage"))}),
		"/conformance": op("conformance classes", "getConformance", common,
			obj{"200": jsonResponse("the conformance classes implemented", mediaJSON, ref("#/components/schemas/confClasses"))}),
		"/api": op("this OpenAPI definition", "getAPI", common, obj{"200": jsonResponse("OpenAPI 3.0", mediaOpenAPI, obj{"type": "object"})}),
		"/collections": op("the collections 数据集合", "getCollections", []any{param("f"), param("scenario")},
			obj{"200": jsonResponse("every collection", mediaJSON, ref("#/components/schemas/collections"))}),
		"/collections/{collectionId}": op("one collection's metadata", "describeCollection", []any{param("collectionId"), param("f"), param("scenario")},
			obj{"200": jsonResponse("the collection", mediaJSON, ref("#/components/schemas/collection"))}),
		"/collections/{collectionId}/items/{featureId}": op("one feature by its integer id", "getFeature",
			[]any{param("collectionId"), param("featureId"), param("crs"), param("f"), param("scenario"), param("profile")},
			obj{"200": obj{"description": "the feature", "headers": obj{"Content-Crs": ref("#/components/headers/Content-Crs")},
				"content": obj{mediaGeoJSON: obj{"schema": ref("#/components/schemas/featureGeoJSON")}}}}),
		"/collections/{collectionId}/queryables": op("the properties to filter on (name=value)", "getQueryables",
			[]any{param("collectionId"), param("f"), param("scenario")}, obj{"200": jsonResponse("JSON Schema", mediaSchema, obj{"type": "object"})}),
		"/collections/{collectionId}/schema": op("the features' schema", "getSchema",
			[]any{param("collectionId"), param("f"), param("scenario")}, obj{"200": jsonResponse("JSON Schema", mediaSchema, obj{"type": "object"})}),
		"/tileMatrixSets": op("tile matrix sets", "getTileMatrixSets", common, obj{"200": jsonResponse("WebMercatorQuad", mediaJSON, obj{"type": "object"})}),
		"/tileMatrixSets/{tileMatrixSetId}": op("a tile matrix set", "getTileMatrixSet", []any{param("tileMatrixSetId"), param("f")},
			obj{"200": jsonResponse("its definition (2D TMS 2.0)", mediaJSON, obj{"type": "object"})}),
		"/collections/{collectionId}/tiles": op("a collection's vector tilesets", "getTilesets", []any{param("collectionId"), param("f"), param("scenario"), param("profile")},
			obj{"200": jsonResponse("tilesets", mediaJSON, obj{"type": "object"})}),
		"/collections/{collectionId}/tiles/{tileMatrixSetId}": op("tileset metadata", "getTileset",
			[]any{param("collectionId"), param("tileMatrixSetId"), param("f"), param("scenario"), param("profile")},
			obj{"200": jsonResponse("the tileset", mediaJSON, obj{"type": "object"})}),
		"/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}": op("a vector tile (MVT v2)", "getTile",
			[]any{param("collectionId"), param("tileMatrixSetId"), param("tileMatrix"), param("tileRow"), param("tileCol"), param("scenario"), param("profile"), param("f")},
			obj{"200": obj{"description": "the tile", "content": obj{mediaMVT: obj{"schema": obj{"type": "string", "format": "binary"}}}},
				"204": obj{"description": "the tile is empty"}}),
	}
	schemas := baseSchemas()
	for _, col := range set.Collections() {
		params := []any{}
		for _, name := range itemsParams {
			if name == "f" {
				name = "f-items" // json, geojson or gpkg (download.go)
			}
			params = append(params, param(name))
		}
		for _, p := range queryables(col) {
			params = append(params, obj{"name": p.Name, "in": "query", "required": false, "style": "form", "explode": false,
				"description": p.Title + " — " + p.Description + " (equals)", "schema": obj{"type": p.Type}})
		}
		props := obj{}
		for _, p := range col.Properties {
			ps := obj{"type": p.Type, "nullable": true, "description": p.Description, "title": p.Title}
			if p.Type == collection.Array {
				ps["items"] = obj{"type": "string"}
			}
			props[p.Name] = ps
		}
		schemas["properties-"+col.ID] = obj{"type": "object", "properties": props}
		schemas["featureCollection-"+col.ID] = obj{"allOf": []any{
			ref("#/components/schemas/featureCollectionGeoJSON"),
			obj{"type": "object", "properties": obj{"features": obj{"type": "array", "items": obj{"allOf": []any{
				ref("#/components/schemas/featureGeoJSON"),
				obj{"type": "object", "properties": obj{"properties": ref("#/components/schemas/properties-" + col.ID)}},
			}}}}},
		}}
		paths["/collections/"+col.ID+"/items"] = op(col.Title+" — "+col.TitleEN, "getItems-"+col.ID, params,
			obj{"200": obj{"description": col.Description, "headers": obj{"Content-Crs": ref("#/components/headers/Content-Crs")},
				"content": obj{mediaGeoJSON: obj{"schema": ref("#/components/schemas/featureCollection-" + col.ID)},
					mediaGeoPackage: obj{"schema": obj{"type": "string", "format": "binary"}}}}})
	}
	crsURIs := []any{}
	for _, u := range collection.CRSURIs() {
		crsURIs = append(crsURIs, u)
	}
	query := func(name, desc string, schema obj) obj {
		return obj{"name": name, "in": "query", "required": false, "style": "form", "explode": false, "description": desc, "schema": schema}
	}
	path := func(name, desc string, schema obj) obj {
		return obj{"name": name, "in": "path", "required": true, "description": desc, "schema": schema}
	}
	return obj{
		"openapi": "3.0.3",
		"info": obj{"title": "lifecircle OGC API — 15分钟社区生活圈", "version": "1.0.0",
			"description": "Facility coverage, gaps, gap areas and catchments of 15-minute community life circles (GB 50180-2018), as OGC API – Features (Part 1 and Part 2: CRS) and vector tiles. 社区生活圈设施覆盖与服务缺口。",
			"license":     obj{"name": "data: see each dataset's SOURCES.md (OpenStreetMap data ODbL)"}},
		"servers": []any{obj{"url": base + "/ogc"}},
		"paths":   paths,
		"components": obj{
			"parameters": obj{
				"limit":  query("limit", "page size (clamped to 10,000)", obj{"type": "integer", "minimum": 1, "maximum": itemsLimitMax, "default": itemsLimitDefault}),
				"offset": query("offset", "features to skip (the next links carry it)", obj{"type": "integer", "minimum": 0, "default": 0}),
				"bbox": obj{"name": "bbox", "in": "query", "required": false, "style": "form", "explode": false,
					"description": "minx,miny,maxx,maxy in bbox-crs axis order (default CRS84 lon,lat)",
					"schema":      obj{"type": "array", "minItems": 4, "maxItems": 6, "items": obj{"type": "number"}}},
				"bbox-crs":        query("bbox-crs", "CRS of bbox (default CRS84)", obj{"type": "string", "format": "uri", "enum": crsURIs}),
				"crs":             query("crs", "CRS of the geometries returned (default CRS84); EPSG:4326/4490/4544 are lat,lon / northing,easting", obj{"type": "string", "format": "uri", "enum": crsURIs}),
				"datetime":        query("datetime", "accepted for clients that send it; no collection has a time dimension", obj{"type": "string"}),
				"f":               query("f", "format: json", obj{"type": "string", "enum": []any{"json", "geojson"}}),
				"f-items":         query("f", "format: json (GeoJSON, a page) or gpkg (a GeoPackage file of every feature the filters select)", obj{"type": "string", "enum": []any{"json", "geojson", "gpkg"}}),
				"scenario":        query("scenario", "a stored scenario's id: the collections with its changes and proposals applied 方案", obj{"type": "string"}),
				"unit":            query("unit", "an admin unit's code or Chinese name (510108, 成华区): features inside it", obj{"type": "string"}),
				"profile":         query("profile", "walking speed for minutes: default, elderly or adult", obj{"type": "string", "enum": []any{"default", "elderly", "adult"}}),
				"collectionId":    path("collectionId", "collection id", obj{"type": "string"}),
				"featureId":       path("featureId", "integer feature id", obj{"type": "integer"}),
				"tileMatrixSetId": path("tileMatrixSetId", "tile matrix set", obj{"type": "string", "enum": []any{"WebMercatorQuad"}}),
				"tileMatrix":      path("tileMatrix", "zoom level", obj{"type": "integer", "minimum": 0, "maximum": tileMaxZoom}),
				"tileRow":         path("tileRow", "row (y)", obj{"type": "integer", "minimum": 0}),
				"tileCol":         path("tileCol", "column (x)", obj{"type": "integer", "minimum": 0}),
			},
			"headers": obj{"Content-Crs": obj{"description": "the CRS of the geometries, in angle brackets", "schema": obj{"type": "string"}}},
			"schemas": schemas,
		},
	}
}

func baseSchemas() obj {
	linkRef := ref("#/components/schemas/link")
	links := obj{"type": "array", "items": linkRef}
	return obj{
		"exception": obj{"type": "object", "required": []any{"error"}, "properties": obj{
			"error": obj{"type": "string"}, "error_zh": obj{"type": "string"}, "parameter": obj{"type": "string"}}},
		"link": obj{"type": "object", "required": []any{"href", "rel"}, "properties": obj{
			"href": obj{"type": "string"}, "rel": obj{"type": "string"}, "type": obj{"type": "string"},
			"title": obj{"type": "string"}, "templated": obj{"type": "boolean"}}},
		"landingPage": obj{"type": "object", "required": []any{"links"}, "properties": obj{
			"title": obj{"type": "string"}, "description": obj{"type": "string"}, "links": links}},
		"confClasses": obj{"type": "object", "required": []any{"conformsTo"}, "properties": obj{
			"conformsTo": obj{"type": "array", "items": obj{"type": "string"}}}},
		"extent": obj{"type": "object", "properties": obj{"spatial": obj{"type": "object", "properties": obj{
			"bbox": obj{"type": "array", "items": obj{"type": "array", "minItems": 4, "maxItems": 6, "items": obj{"type": "number"}}},
			"crs":  obj{"type": "string"}}}}},
		"collection": obj{"type": "object", "required": []any{"id", "links"}, "properties": obj{
			"id": obj{"type": "string"}, "title": obj{"type": "string"}, "description": obj{"type": "string"},
			"itemType": obj{"type": "string"}, "extent": ref("#/components/schemas/extent"), "links": links,
			"crs": obj{"type": "array", "items": obj{"type": "string"}}, "storageCrs": obj{"type": "string"}}},
		"collections": obj{"type": "object", "required": []any{"links", "collections"}, "properties": obj{
			"links": links, "collections": obj{"type": "array", "items": ref("#/components/schemas/collection")},
			"crs": obj{"type": "array", "items": obj{"type": "string"}}}},
		"geometryGeoJSON": obj{"type": "object", "nullable": true, "required": []any{"type"}, "properties": obj{
			"type":        obj{"type": "string", "enum": []any{"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection"}},
			"coordinates": obj{"type": "array", "items": obj{}}}},
		"featureGeoJSON": obj{"type": "object", "required": []any{"type", "geometry", "properties"}, "properties": obj{
			"type": obj{"type": "string", "enum": []any{"Feature"}}, "id": obj{"type": "integer"},
			"geometry": ref("#/components/schemas/geometryGeoJSON"), "properties": obj{"type": "object", "nullable": true}, "links": links}},
		"featureCollectionGeoJSON": obj{"type": "object", "required": []any{"type", "features"}, "properties": obj{
			"type":     obj{"type": "string", "enum": []any{"FeatureCollection"}},
			"features": obj{"type": "array", "items": ref("#/components/schemas/featureGeoJSON")},
			"links":    links, "timeStamp": obj{"type": "string", "format": "date-time"},
			"numberMatched": obj{"type": "integer", "minimum": 0}, "numberReturned": obj{"type": "integer", "minimum": 0}}},
	}
}

// handleOpenAPI: GET /ogc/api.
func (s *Server) handleOpenAPI(c *gin.Context) error {
	if err := checkParams(c, "f"); err != nil {
		return err
	}
	b, err := jsonBytes(openAPIDoc(baseURL(c.Request), s.base.Load()))
	if err != nil {
		return err
	}
	c.Data(http.StatusOK, mediaOpenAPI, b)
	return nil
}

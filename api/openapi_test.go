package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

func init() {
	// The media types /ogc answers with; kin-openapi knows only the
	// generic ones.
	for _, mt := range []string{mediaGeoJSON, mediaSchema, "application/vnd.oai.openapi+json"} {
		openapi3filter.RegisterBodyDecoder(mt, openapi3filter.JSONBodyDecoder)
	}
	openapi3filter.RegisterBodyDecoder(mediaMVT, openapi3filter.FileBodyDecoder)
}

// loadOpenAPI fetches /ogc/api from h, checks its content type and
// validates it as an OpenAPI 3.0 document with kin-openapi.
func loadOpenAPI(t *testing.T, h http.Handler) *openapi3.T {
	t.Helper()
	rec := get(t, h, http.MethodGet, "http://example.com/ogc/api")
	if rec.Code != 200 {
		t.Fatalf("/ogc/api: %d %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != mediaOpenAPI {
		t.Errorf("/ogc/api content type %q, want %q", ct, mediaOpenAPI)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(rec.Body.Bytes())
	if err != nil {
		t.Fatalf("/ogc/api does not load as OpenAPI: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("/ogc/api is not a valid OpenAPI 3.0 document: %v", err)
	}
	return doc
}

// TestOpenAPIValid validates the generated definition and checks that it
// declares what QGIS and GDAL read from it: the limit default and maximum,
// and every collection's items path with its queryable properties.
func TestOpenAPIValid(t *testing.T) {
	s := New(discardLogger(), fixture(t))
	doc := loadOpenAPI(t, s.Handler())
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi %q", doc.OpenAPI)
	}
	lim := doc.Components.Parameters["limit"].Value.Schema.Value
	if lim.Default != float64(itemsLimitDefault) || lim.Max == nil || *lim.Max != itemsLimitMax {
		t.Errorf("limit schema: default %v, maximum %v; want %d and %d", lim.Default, lim.Max, itemsLimitDefault, itemsLimitMax)
	}
	for _, col := range s.base.Load().Collections() {
		p := doc.Paths.Find("/collections/" + col.ID + "/items")
		if p == nil || p.Get == nil {
			t.Errorf("no items path for %s", col.ID)
			continue
		}
		for _, q := range queryables(col) {
			if p.Get.Parameters.GetByInAndName("query", q.Name) == nil {
				t.Errorf("%s: queryable %s is not a declared parameter (GDAL would filter on the client)", col.ID, q.Name)
			}
		}
	}
}

// TestOpenAPIResponses sends a request to every /ogc endpoint (each
// collection kind, tiles included) and validates request and response
// against the served OpenAPI definition.
func TestOpenAPIResponses(t *testing.T) {
	s := New(discardLogger(), fixture(t))
	h := s.Handler()
	doc := loadOpenAPI(t, h)
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	urls := []string{
		"/ogc/", "/ogc/conformance", "/ogc/api", "/ogc/collections", "/ogc/collections/facilities",
		"/ogc/collections/facilities/items/1", "/ogc/collections/facilities/items/2?crs=http://www.opengis.net/def/crs/EPSG/0/4544",
		"/ogc/collections/facilities/queryables", "/ogc/collections/gaps-pharmacy/schema",
		"/ogc/tileMatrixSets", "/ogc/tileMatrixSets/WebMercatorQuad",
		"/ogc/collections/population/tiles", "/ogc/collections/population/tiles/WebMercatorQuad",
		"/ogc/collections/population/tiles/WebMercatorQuad/14/6724/12928",
		"/ogc/collections/population/tiles/WebMercatorQuad/14/0/0",
		"/ogc/collections/nosuch",
		"/ogc/collections/facilities/items?limit=0",
		"/ogc/collections/facilities/items?type=kindergarten&limit=1&offset=1",
		"/ogc/collections/population/items?bbox=104,30.6,104.2,30.7&crs=http://www.opengis.net/def/crs/EPSG/0/4326",
		"/ogc/collections/facilities/items?bbox=11576000,3588000,11590000,3592000&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/3857",
	}
	for _, kind := range ogcKinds {
		urls = append(urls, "/ogc/collections/"+kind+"/items", "/ogc/collections/"+kind+"/items?limit=2&offset=1")
	}
	for _, u := range urls {
		t.Run(strings.TrimPrefix(u, "/ogc"), func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "http://example.com"+u, nil)
			route, params, err := router.FindRoute(req)
			if err != nil {
				t.Fatalf("%s: no operation in /ogc/api: %v", u, err)
			}
			in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
				Options: &openapi3filter.Options{MultiError: true}}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if reqErr := openapi3filter.ValidateRequest(context.Background(), in); reqErr != nil && rec.Code < 400 {
				t.Errorf("%s: the definition refuses a request the server answers %d: %v", u, rec.Code, reqErr)
			}
			validateResponse(t, in, route, rec)
		})
	}
}

func validateResponse(t *testing.T, in *openapi3filter.RequestValidationInput, route *routers.Route, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code >= 500 {
		t.Fatalf("%s: %d %s", in.Request.URL, rec.Code, rec.Body)
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: rec.Code, Header: rec.Header(),
		Body:    io.NopCloser(bytes.NewReader(rec.Body.Bytes())),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		var pretty bytes.Buffer
		if json.Indent(&pretty, rec.Body.Bytes(), "", " ") != nil {
			pretty.Reset()
		}
		t.Errorf("%s (%s): response %d does not match the definition: %v\n%.800s", in.Request.URL, route.Path, rec.Code, err, pretty.String())
	}
}

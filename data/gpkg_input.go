package data

import (
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/geojson"
	_ "modernc.org/sqlite" // the pure-Go SQLite driver GeoPackages are read with

	"lifecircle/spatial/crs"
)

// IsGeoPackage says whether a path names a GeoPackage.
func IsGeoPackage(path string) bool { return strings.EqualFold(filepath.Ext(path), ".gpkg") }

// ReadGeoPackageLayer reads one feature table of a GeoPackage (layer; ""
// when the file has only one) as features with its columns as properties,
// in WGS84 when the layer's CRS is projected (Transverse Mercator /
// Gauss-Krüger on WGS 84 or CGCS2000, as for .prj files). The file is
// opened read-only and never modified.
func ReadGeoPackageLayer(path, layer string) (*Shapefile, error) {
	db, err := openGeoPackageRO(path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	r := &gpkgLayerReader{path: path, db: db, out: &Shapefile{Features: geojson.NewFeatureCollection(), Encoding: "UTF-8"}}
	if err := r.pickLayer(layer); err != nil {
		return nil, err
	}
	if err := r.readCRS(); err != nil {
		return nil, err
	}
	if err := r.readFeatures(); err != nil {
		return nil, err
	}
	return r.out, nil
}

// openGeoPackageRO opens an SQLite file read-only (it must start with the
// SQLite header).
func openGeoPackageRO(path string) (*sql.DB, error) {
	head := make([]byte, 16)
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	n, _ := f.Read(head)
	f.Close()
	if n < 16 || string(head) != "SQLite format 3\x00" {
		return nil, invalid("%s: not a GeoPackage (not an SQLite file)", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: abs}).EscapedPath()+"?mode=ro&_pragma=query_only(1)")
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return db, nil
}

// gpkgLayerReader reads one feature table of an open GeoPackage.
type gpkgLayerReader struct {
	path    string
	db      *sql.DB
	layer   string
	geomCol string
	srsID   int
	proj    *crs.CRS // nil: WGS 84 or CGCS2000 geographic
	out     *Shapefile
}

// pickLayer checks the layer is a feature table of the file (the only
// one when layer is "") and finds its geometry column and srs_id.
func (r *gpkgLayerReader) pickLayer(layer string) error {
	var tables []string
	rows, err := r.db.Query(`SELECT table_name FROM gpkg_contents WHERE data_type = 'features' ORDER BY table_name`)
	if err != nil {
		return invalid("%s: not a GeoPackage (no gpkg_contents: %v)", r.path, err)
	}
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return fmt.Errorf("%s: %v", r.path, err)
		}
		tables = append(tables, t)
	}
	rows.Close()
	switch {
	case len(tables) == 0:
		return invalid("%s: the GeoPackage has no feature layer", r.path)
	case layer == "" && len(tables) > 1:
		return invalid("%s: the GeoPackage has %d layers (%s): name one with --facilities-layer/--population-layer/--boundaries-layer", r.path, len(tables), strings.Join(tables, ", "))
	case layer == "":
		layer = tables[0]
	}
	found := false
	for _, t := range tables {
		found = found || t == layer
	}
	if !found {
		return invalid("%s: no feature layer %q (layers: %s)", r.path, layer, strings.Join(tables, ", "))
	}
	r.layer = layer
	if err := r.db.QueryRow(`SELECT column_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ?`, layer).Scan(&r.geomCol, &r.srsID); err != nil {
		return invalid("%s layer %s: no geometry column registered: %v", r.path, layer, err)
	}
	return nil
}

// readCRS reads the layer's coordinate system: EPSG:4326 or 4490 as they
// are, a projected one from its WKT definition.
func (r *gpkgLayerReader) readCRS() error {
	var org, def string
	var code int
	if err := r.db.QueryRow(`SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys WHERE srs_id = ?`, r.srsID).Scan(&org, &code, &def); err != nil {
		return invalid("%s layer %s: srs_id %d is not in gpkg_spatial_ref_sys", r.path, r.layer, r.srsID)
	}
	switch {
	case strings.EqualFold(org, "EPSG") && (code == 4326 || code == 4490):
		r.out.CRS = fmt.Sprintf("EPSG:%d", code)
	case r.srsID == 0 || r.srsID == -1:
		return invalid("%s layer %s: undefined coordinate system (srs_id %d)", r.path, r.layer, r.srsID)
	default:
		c, desc, err := parsePRJ([]byte(def))
		if err != nil {
			return invalid("%s layer %s (%s:%d): %v", r.path, r.layer, org, code, err)
		}
		r.proj, r.out.CRS, r.out.Projected = c, desc, c.Projected
	}
	return nil
}

// readFeatures reads every row of the layer as a feature.
func (r *gpkgLayerReader) readFeatures() error {
	rows, err := r.db.Query(`SELECT * FROM "` + strings.ReplaceAll(r.layer, `"`, `""`) + `"`)
	if err != nil {
		return fmt.Errorf("%s layer %s: %v", r.path, r.layer, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for n := 1; rows.Next(); n++ {
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("%s layer %s feature %d: %v", r.path, r.layer, n, err)
		}
		ft, err := r.feature(cols, vals)
		if err != nil {
			return invalid("%s layer %s feature %d: %v", r.path, r.layer, n, err)
		}
		r.out.Features.Features = append(r.out.Features.Features, ft)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s layer %s: %v", r.path, r.layer, err)
	}
	return nil
}

// feature is one row: its geometry (a single-point MultiPoint as a Point,
// projected to WGS84 where the layer is projected) and the other columns
// as properties, named in lower case.
func (r *gpkgLayerReader) feature(cols []string, vals []any) (*geojson.Feature, error) {
	ft := geojson.NewFeature(nil)
	for i, c := range cols {
		if strings.EqualFold(c, r.geomCol) {
			b, _ := vals[i].([]byte)
			g, err := decodeGPKGGeometry(b)
			if err != nil {
				return nil, err
			}
			if mp, ok := g.(orb.MultiPoint); ok && len(mp) == 1 {
				g = mp[0]
			}
			if r.proj != nil && r.proj.Projected {
				if g, err = projectToWGS84(g, *r.proj); err != nil {
					return nil, err
				}
			}
			ft.Geometry = g
			continue
		}
		switch v := vals[i].(type) {
		case int64:
			ft.Properties[strings.ToLower(c)] = float64(v)
		case float64, string, bool:
			ft.Properties[strings.ToLower(c)] = v
		case []byte:
			ft.Properties[strings.ToLower(c)] = string(v)
		}
	}
	if ft.Geometry == nil {
		return nil, fmt.Errorf("no geometry")
	}
	return ft, nil
}

// decodeGPKGGeometry decodes a GeoPackage geometry blob: the "GP" header
// (version, flags, srs id, envelope) then WKB.
func decodeGPKGGeometry(b []byte) (orb.Geometry, error) {
	if len(b) < 8 || b[0] != 'G' || b[1] != 'P' {
		return nil, fmt.Errorf("not a GeoPackage geometry (no GP header)")
	}
	flags := b[3]
	if flags&0x10 != 0 {
		return nil, fmt.Errorf("empty geometry")
	}
	envelope := map[byte]int{0: 0, 1: 32, 2: 48, 3: 48, 4: 64}[(flags>>1)&7]
	start := 8 + envelope
	if len(b) < start+5 {
		return nil, fmt.Errorf("truncated GeoPackage geometry")
	}
	g, err := wkb.Unmarshal(b[start:])
	if err != nil {
		return nil, fmt.Errorf("bad WKB geometry: %v", err)
	}
	return g, nil
}

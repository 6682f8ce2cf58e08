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
	defer db.Close()
	var tables []string
	rows, err := db.Query(`SELECT table_name FROM gpkg_contents WHERE data_type = 'features' ORDER BY table_name`)
	if err != nil {
		return nil, invalid("%s: not a GeoPackage (no gpkg_contents: %v)", path, err)
	}
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		tables = append(tables, t)
	}
	rows.Close()
	switch {
	case len(tables) == 0:
		return nil, invalid("%s: the GeoPackage has no feature layer", path)
	case layer == "" && len(tables) > 1:
		return nil, invalid("%s: the GeoPackage has %d layers (%s): name one with --facilities-layer/--population-layer/--boundaries-layer", path, len(tables), strings.Join(tables, ", "))
	case layer == "":
		layer = tables[0]
	}
	found := false
	for _, t := range tables {
		found = found || t == layer
	}
	if !found {
		return nil, invalid("%s: no feature layer %q (layers: %s)", path, layer, strings.Join(tables, ", "))
	}
	var geomCol string
	var srsID int
	if err := db.QueryRow(`SELECT column_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ?`, layer).Scan(&geomCol, &srsID); err != nil {
		return nil, invalid("%s layer %s: no geometry column registered: %v", path, layer, err)
	}
	out := &Shapefile{Features: geojson.NewFeatureCollection(), Encoding: "UTF-8"}
	var proj *crs.CRS
	var org string
	var code int
	var def string
	if err := db.QueryRow(`SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys WHERE srs_id = ?`, srsID).Scan(&org, &code, &def); err != nil {
		return nil, invalid("%s layer %s: srs_id %d is not in gpkg_spatial_ref_sys", path, layer, srsID)
	}
	switch {
	case strings.EqualFold(org, "EPSG") && (code == 4326 || code == 4490):
		out.CRS = fmt.Sprintf("EPSG:%d", code)
	case srsID == 0 || srsID == -1:
		return nil, invalid("%s layer %s: undefined coordinate system (srs_id %d)", path, layer, srsID)
	default:
		c, desc, err := parsePRJ([]byte(def))
		if err != nil {
			return nil, invalid("%s layer %s (%s:%d): %v", path, layer, org, code, err)
		}
		proj, out.CRS, out.Projected = c, desc, c.Projected
	}
	rows, err = db.Query(`SELECT * FROM "` + strings.ReplaceAll(layer, `"`, `""`) + `"`)
	if err != nil {
		return nil, fmt.Errorf("%s layer %s: %v", path, layer, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for n := 1; rows.Next(); n++ {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("%s layer %s feature %d: %v", path, layer, n, err)
		}
		ft := geojson.NewFeature(nil)
		for i, c := range cols {
			if strings.EqualFold(c, geomCol) {
				b, _ := vals[i].([]byte)
				g, err := decodeGPKGGeometry(b)
				if err != nil {
					return nil, invalid("%s layer %s feature %d: %v", path, layer, n, err)
				}
				if mp, ok := g.(orb.MultiPoint); ok && len(mp) == 1 {
					g = mp[0]
				}
				if proj != nil && proj.Projected {
					if g, err = projectToWGS84(g, *proj); err != nil {
						return nil, invalid("%s layer %s feature %d: %v", path, layer, n, err)
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
			return nil, invalid("%s layer %s feature %d: no geometry", path, layer, n)
		}
		out.Features.Features = append(out.Features.Features, ft)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s layer %s: %v", path, layer, err)
	}
	return out, nil
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

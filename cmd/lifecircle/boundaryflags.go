package main

import (
	"flag"
	"fmt"
	"strings"

	"lifecircle/coverage"
	"lifecircle/data"
	"lifecircle/spatial"
)

// Several boundary files per run, each with its own options:
//
//	--boundaries districts.geojson \
//	--boundaries 街道.shp --boundaries-level street --boundaries-encoding gbk --boundaries-crs gcj02
//
// --boundaries-level, --boundaries-crs, --boundaries-encoding and
// --boundaries-layer apply to the --boundaries file before them; given
// before the first --boundaries they are the default of every file (so
// with one file, the order does not matter, as before).

// boundaryFlags collect the --boundaries files and their options.
type boundaryFlags struct {
	files []data.BoundaryFile
	def   data.BoundaryFile // the options given before the first file
	// set records, per file index (-1: the default), which options were
	// given, to refuse one given twice.
	set map[string]bool
}

func (b *boundaryFlags) register(fs *flag.FlagSet) {
	fs.Var(boundaryFile{b}, "boundaries", "admin boundaries `FILE` (GeoJSON, Shapefile or GeoPackage); repeat for several, each followed by its own --boundaries-* options")
	fs.Var(boundaryOption{b, "level"}, "boundaries-level", "unit `LEVEL` of the preceding --boundaries file's features without a level field: district, street, community, grid")
	fs.Var(boundaryOption{b, "crs"}, "boundaries-crs", "`CRS` of the preceding --boundaries file: wgs84, gcj02, bd09 (default --crs)")
	fs.Var(boundaryOption{b, "encoding"}, "boundaries-encoding", "attribute `ENCODING` of the preceding --boundaries Shapefile: utf-8 or gbk (default --encoding)")
	fs.Var(boundaryOption{b, "layer"}, "boundaries-layer", "`LAYER` of the preceding --boundaries GeoPackage (default its only layer)")
}

// given is true when any boundary file is named.
func (b *boundaryFlags) given() bool { return len(b.files) > 0 }

// orphan names a --boundaries-* option given with no --boundaries file
// ("" when there is none).
func (b *boundaryFlags) orphan() string {
	if b.given() {
		return ""
	}
	for _, n := range []string{"level", "crs", "encoding", "layer"} {
		if b.set["-1 "+n] {
			return "--boundaries-" + n
		}
	}
	return ""
}

// list returns the files with the defaults filled in.
func (b *boundaryFlags) list() []data.BoundaryFile {
	out := make([]data.BoundaryFile, len(b.files))
	for i, f := range b.files {
		if f.Level == "" {
			f.Level = b.def.Level
		}
		if f.CRS == "" {
			f.CRS = b.def.CRS
		}
		if f.Encoding == "" {
			f.Encoding = b.def.Encoding
		}
		if f.Layer == "" {
			f.Layer = b.def.Layer
		}
		f.OS = true // beside an embedded sample too
		out[i] = f
	}
	return out
}

type boundaryFile struct{ b *boundaryFlags }

func (v boundaryFile) String() string {
	if v.b == nil {
		return ""
	}
	p := make([]string, len(v.b.files))
	for i, f := range v.b.files {
		p[i] = f.Path
	}
	return strings.Join(p, ",")
}

func (v boundaryFile) Set(s string) error {
	if s == "" {
		return fmt.Errorf("an empty file name")
	}
	v.b.files = append(v.b.files, data.BoundaryFile{Path: s})
	return nil
}

type boundaryOption struct {
	b    *boundaryFlags
	name string
}

func (v boundaryOption) String() string { return "" }

func (v boundaryOption) Set(s string) error {
	dst, which := &v.b.def, "every --boundaries file"
	key := "-1 " + v.name
	if n := len(v.b.files); n > 0 {
		dst, which = &v.b.files[n-1], v.b.files[n-1].Path
		key = fmt.Sprintf("%d %s", n-1, v.name)
	}
	if v.b.set == nil {
		v.b.set = map[string]bool{}
	}
	if v.b.set[key] {
		return fmt.Errorf("given twice for %s: each --boundaries file takes its options after it", which)
	}
	v.b.set[key] = true
	switch v.name {
	case "level":
		if _, err := coverage.ParseUnitLevel(s); err != nil {
			return err
		}
		dst.Level = s
	case "crs":
		c, err := spatial.ParseCRS(s)
		if err != nil {
			return err
		}
		dst.CRS = c
	case "encoding":
		dst.Encoding = s
	case "layer":
		dst.Layer = s
	}
	return nil
}

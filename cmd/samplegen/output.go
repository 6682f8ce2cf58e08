package main

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// round7 rounds a coordinate to 1e-7 degrees (about 1 cm).
func round7(x float64) float64 { return math.Round(x*1e7) / 1e7 }

func roundPoint(p orb.Point) orb.Point { return orb.Point{round7(p[0]), round7(p[1])} }

// formatCoord writes a rounded coordinate without trailing zeros.
func formatCoord(x float64) string { return strconv.FormatFloat(round7(x), 'f', -1, 64) }

// writeFeatureCollection writes an RFC 7946 FeatureCollection with one
// feature per line, so that diffs of the committed file stay readable.
func writeFeatureCollection(path string, features []*geojson.Feature) error {
	var buf bytes.Buffer
	buf.WriteString(`{"type":"FeatureCollection","features":[` + "\n")
	for i, f := range features {
		b, err := json.Marshal(f)
		if err != nil {
			return err
		}
		buf.Write(b)
		if i < len(features)-1 {
			buf.WriteByte(',')
		}
		buf.WriteByte('\n')
	}
	buf.WriteString("]}\n")
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

type copied struct {
	size   int64
	sha256 string
}

// copyFile copies src to dst byte for byte and returns the size and sha256.
func copyFile(src, dst string) (copied, error) {
	in, err := os.Open(src)
	if err != nil {
		return copied{}, err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return copied{}, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return copied{}, err
	}
	return copied{size: n, sha256: hex.EncodeToString(h.Sum(nil))}, nil
}

// fileDesc is a written file's name, size and sha256, for SOURCES.md.
type fileDesc struct {
	name string
	copied
}

func describeFiles(dir string, names ...string) ([]fileDesc, error) {
	var out []fileDesc
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		out = append(out, fileDesc{name: n, copied: copied{size: int64(len(b)), sha256: hex.EncodeToString(sum[:])}})
	}
	return out, nil
}

func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

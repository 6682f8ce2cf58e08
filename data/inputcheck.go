package data

import (
	"bufio"
	"bytes"
	"io"
	"os"
)

// MaxInputBytes bounds one input file: larger ones are refused with a
// message instead of exhausting memory (a city's population grid in
// GeoJSON is a few hundred MB).
var MaxInputBytes int64 = 4 << 30

// checkInputFile refuses what is not a regular file (a directory, a
// device such as /dev/zero, a pipe) and files over MaxInputBytes.
func checkInputFile(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	switch {
	case !fi.Mode().IsRegular():
		return invalid("%s is not a regular file (%s); give a file", path, fi.Mode().Type())
	case fi.Size() > MaxInputBytes:
		return invalid("%s is %d MB, over the limit of %d MB for one input", path, fi.Size()>>20, MaxInputBytes>>20)
	}
	return nil
}

// bomSkipper drops a UTF-8 byte order mark at the start of a text input
// (Windows tools write one before GeoJSON and CSV alike).
type bomSkipper struct {
	*bufio.Reader
	io.Closer
}

func skipBOM(rc io.ReadCloser) io.ReadCloser {
	br := bufio.NewReader(rc)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\ufeff")) {
		br.Discard(3) //nolint:errcheck // peeked: the bytes are there
	}
	return bomSkipper{br, rc}
}

// noFacilities is the error for a facility file without one facility.
func noFacilities(path string) error {
	return invalid("%s holds no facility at all: every type would be a gap everywhere; check the file (or give --allow-no-facilities if that is what you mean)", path)
}

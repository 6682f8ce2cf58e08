package data

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// table is a spreadsheet-like input read whole: a header and rows, each row
// with the line (CSV) or row number (XLSX) that error messages name.
type table struct {
	name   string
	where  string // "line" or "row"
	header []string
	rows   [][]string
	lines  []int
	// Encoding is how a CSV was decoded: "UTF-8" or "GBK".
	encoding string
}

// readTable reads a CSV (UTF-8, UTF-8 with BOM, or GBK as Excel on Chinese
// Windows saves it) or the first sheet of an XLSX workbook (sheet selects
// another). Empty rows are skipped.
func readTable(name string, r io.Reader, sheet string) (*table, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".xlsx", ".xlsm":
		return readXLSXTable(name, b, sheet)
	case ".xls":
		return nil, invalid("%s: the old binary .xls format is not read; save it as .xlsx or .csv", name)
	}
	t := &table{name: name, where: "line", encoding: "UTF-8"}
	b = bytes.TrimPrefix(b, []byte("\ufeff"))
	if !utf8.Valid(b) {
		d, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b)
		if err != nil {
			return nil, invalid("%s: neither UTF-8 nor GBK text: %v", name, err)
		}
		b, t.encoding = d, "GBK"
	}
	cr := csv.NewReader(bytes.NewReader(b))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	first := true
	for {
		rec, line, err := nextRecord(name, cr)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if blankRow(rec) {
			continue
		}
		if first {
			t.header, first = rec, false
			continue
		}
		t.rows = append(t.rows, rec)
		t.lines = append(t.lines, line)
	}
	if first {
		return nil, invalid("%s: empty, no header line", name)
	}
	return t, nil
}

func readXLSXTable(name string, b []byte, sheet string) (*table, error) {
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		return nil, invalid("%s: not a readable .xlsx workbook: %v", name, err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, invalid("%s: the workbook has no sheet", name)
	}
	if sheet == "" {
		sheet = sheets[0]
	} else if idx, _ := f.GetSheetIndex(sheet); idx < 0 {
		return nil, invalid("%s: no sheet %q (sheets: %s)", name, sheet, strings.Join(sheets, ", "))
	}
	rows, err := f.GetRows(sheet)
	if err != nil {
		return nil, invalid("%s sheet %q: %v", name, sheet, err)
	}
	t := &table{name: name + " sheet " + sheet, where: "row", encoding: "UTF-8"}
	for i, rec := range rows {
		if blankRow(rec) {
			continue
		}
		if t.header == nil {
			t.header = rec
			continue
		}
		t.rows = append(t.rows, rec)
		t.lines = append(t.lines, i+1)
	}
	if t.header == nil {
		return nil, invalid("%s sheet %q: empty, no header row", name, sheet)
	}
	return t, nil
}

func blankRow(rec []string) bool {
	for _, s := range rec {
		if strings.TrimSpace(s) != "" {
			return false
		}
	}
	return true
}

// column finds the first header matching one of the aliases
// (case-insensitive, spaces trimmed); -1 when none does.
func (t *table) column(aliases ...string) int {
	for _, a := range aliases {
		for i, h := range t.header {
			if strings.EqualFold(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")), a) {
				return i
			}
		}
	}
	return -1
}

// cell is row i's value in column c ("" when c < 0 or the row is short).
func (t *table) cell(i, c int) string {
	if c < 0 || c >= len(t.rows[i]) {
		return ""
	}
	return strings.TrimSpace(t.rows[i][c])
}

// at names row i for an error message: "pois.csv line 7".
func (t *table) at(i int) string { return fmt.Sprintf("%s %s %d", t.name, t.where, t.lines[i]) }

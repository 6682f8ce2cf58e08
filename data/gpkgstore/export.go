package gpkgstore

import (
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// CreateExport creates a new store at path for an export: a file nobody
// else has open, written in one go and moved into place by the caller
// only when complete. Its writes are not synced one by one (rollback
// journal in memory, synchronous=OFF): durability comes once, at the end,
// from CloseExport (which syncs the whole file) and the caller's rename and
// directory sync — the same promise as a store's, for a file that is whole
// or absent. An existing path is refused.
func CreateExport(path string) (*Store, error) {
	registerGPFunctions()
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(abs); !errors.Is(err, fs.ErrNotExist) {
		if err == nil {
			return nil, fmt.Errorf("%s exists; an export is written to a new file", path)
		}
		return nil, err
	}
	if err := createGeoPackage(abs); err != nil {
		return nil, fmt.Errorf("creating GeoPackage %s: %w", path, err)
	}
	g := &Store{path: abs}
	if g.w, err = sql.Open("sqlite", fileURI(abs,
		"_pragma=busy_timeout(30000)",
		"_pragma=journal_mode(MEMORY)",
		"_pragma=synchronous(OFF)",
		"_pragma=cache_size(-4096)", // pages are reused, not freed one by one at close
		"_pragma=temp_store(MEMORY)",
		"_txlock=immediate")); err != nil {
		return nil, err
	}
	g.w.SetMaxOpenConns(1)
	if err := g.w.Ping(); err != nil {
		g.w.Close()
		return nil, err
	}
	if g.r, err = sql.Open("sqlite", readerDSN(abs)); err != nil {
		g.w.Close()
		return nil, err
	}
	return g, nil
}

// CloseExport closes a store made by CreateExport as one self-contained
// file in rollback-journal mode and syncs it to disk.
func (g *Store) CloseExport() error {
	if err := g.CloseSingleFile(); err != nil {
		return err
	}
	f, err := os.OpenFile(g.path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

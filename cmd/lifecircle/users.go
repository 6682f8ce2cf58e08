package main

// lifecircle users add|list|revoke: the API's users, kept in the store.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"lifecircle/coverage"
	"lifecircle/data"
)

// listFlag collects a repeated flag (--unit A --unit B, or --unit A,B).
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

const cliUser = "lifecircle users (命令行 command line)"

func runUsers(ctx context.Context, args []string, stdout, stderr io.Writer, _ *slog.Logger) error {
	if len(args) == 0 {
		return fmt.Errorf("users: give add, list or revoke")
	}
	cmd := args[0]
	fs := newFlagSet("users "+cmd, stderr)
	var sf storeFlags
	fs.StringVar(&sf.path, "store", "", "GeoPackage store file")
	fs.StringVar(&sf.pg, "pg", "", "PostgreSQL URL of a PostGIS store")
	name := fs.String("name", "", "the user's name (add, revoke)")
	role := fs.String("role", "", "viewer, street_official, planner or admin (add)")
	var units listFlag
	fs.Var(&units, "unit", "admin unit code of the user's jurisdiction; repeat for several (street_official: required; planner: a district, or none for the city)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("users %s: unexpected argument %q", cmd, fs.Arg(0))
	}
	if sf.path == "" && sf.pg == "" {
		return fmt.Errorf("users: give the store: --store FILE.gpkg or --pg URL")
	}
	note := func(action string, detail any) context.Context {
		b, _ := json.Marshal(detail)
		return coverage.WithWriteNote(ctx, coverage.WriteNote{Audit: &coverage.AuditEntry{
			At: time.Now(), User: cliUser, Role: coverage.Admin, Action: action, Detail: b}})
	}
	switch cmd {
	case "add":
		r, err := coverage.ParseRole(*role)
		if err != nil {
			return fmt.Errorf("users add: --role: %w", err)
		}
		token, id, cred := coverage.NewToken()
		u := coverage.User{ID: id, Name: *name, Role: r, Units: units, Created: time.Now()}
		if err := u.Check(); err != nil {
			return fmt.Errorf("users add: %w", err)
		}
		st, err := sf.open(ctx)
		if err != nil {
			return err
		}
		defer st.Close()
		if u.Units, err = resolveUserUnits(ctx, st, u.Units); err != nil {
			return fmt.Errorf("users add: --unit: %w", err)
		}
		if err := st.AddUser(note("user.add", map[string]any{"name": u.Name, "role": u.Role, "units": u.Units, "id": u.ID}), u, cred); err != nil {
			return fmt.Errorf("users add: %w", err)
		}
		if err := st.Close(); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "added %s (%s%s); the token is shown only now — give it to them over a safe channel:\n", u.Name, u.Role, unitsNote(u.Units))
		fmt.Fprintln(stdout, token)
		return nil
	case "list":
		st, err := sf.open(ctx)
		if err != nil {
			return err
		}
		defer st.Close()
		users, err := st.Users(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tNAME\tROLE\tUNITS\tCREATED\tREVOKED")
		for _, u := range users {
			revoked := "-"
			if !u.Active() {
				revoked = u.Revoked.Format(time.RFC3339)
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Name, u.Role, strings.Join(u.Units, ","), u.Created.Format(time.RFC3339), revoked)
		}
		return w.Flush()
	case "revoke":
		if *name == "" {
			return fmt.Errorf("users revoke: --name NAME is required")
		}
		st, err := sf.open(ctx)
		if err != nil {
			return err
		}
		defer st.Close()
		if err := st.RevokeUser(note("user.revoke", map[string]string{"name": *name}), *name); err != nil {
			return fmt.Errorf("users revoke: %w", err)
		}
		fmt.Fprintf(stdout, "revoked the token of %s\n", *name)
		return st.Close()
	}
	return fmt.Errorf("users: unknown subcommand %q: give add, list or revoke", cmd)
}

// resolveUserUnits turns each --unit (a code or a name: 石羊街道,
// 510107063, 成华区) into its code: an official division, or else a unit
// of one of the store's datasets. An unknown unit or a name fitting several
// is an error naming it (the candidates with their districts).
func resolveUserUnits(ctx context.Context, st coverage.Store, units []string) ([]string, error) {
	divs, err := data.ChengduDivisions()
	if err != nil {
		return nil, err
	}
	var stored []*coverage.Dataset // loaded when a unit is not an official division
	loaded := false
	out := make([]string, 0, len(units))
	for _, s := range units {
		v, err := divs.Resolve(s)
		if err == nil {
			out = append(out, v.Code)
			continue
		}
		if !errors.Is(err, coverage.ErrNotFound) {
			return nil, err
		}
		if !loaded {
			loaded = true
			names, err := st.Datasets(ctx)
			if err != nil {
				return nil, err
			}
			for _, n := range names {
				_, ds, err := st.LoadDataset(ctx, n)
				if err != nil {
					return nil, err
				}
				stored = append(stored, ds)
			}
		}
		code := ""
		for _, ds := range stored {
			for _, u := range ds.Units {
				if u.Code == s || u.Name == s {
					code = u.Code
				}
			}
		}
		if code == "" {
			return nil, coverage.WithZH(fmt.Errorf("%q is neither an official division (%d streets and communities of 锦江, 青羊, 金牛, 武侯, 成华; /v1/units lists them) nor a unit of the store's %d datasets: %w",
				s, divs.Len(), len(stored), coverage.ErrInvalid),
				"「%s」既不是正式行政区划（/v1/units 列出），也不是存储中 %d 个数据集的单元", s, len(stored))
		}
		out = append(out, code)
	}
	return out, nil
}

func unitsNote(units []string) string {
	if len(units) == 0 {
		return ""
	}
	return ", units " + strings.Join(units, ", ")
}

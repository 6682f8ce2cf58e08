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

// runUsers is `lifecircle users add|list|revoke`.
func runUsers(ctx context.Context, args []string, stdout, stderr io.Writer, _ *slog.Logger) error {
	if len(args) == 0 {
		return fmt.Errorf("users: give add, list or revoke")
	}
	u := &usersRun{ctx: ctx, cmd: args[0], stdout: stdout, stderr: stderr}
	if err := u.parse(args[1:]); err != nil {
		return err
	}
	switch u.cmd {
	case "add":
		return u.add()
	case "list":
		return u.list()
	case "revoke":
		return u.revoke()
	}
	return fmt.Errorf("users: unknown subcommand %q: give add, list or revoke", u.cmd)
}

// usersRun is one `lifecircle users add|list|revoke`: its flags and a
// method per subcommand.
type usersRun struct {
	ctx            context.Context
	cmd            string
	stdout, stderr io.Writer
	sf             storeFlags
	name, role     string
	units          listFlag
}

// parse reads the subcommand's flags; the store is required.
func (u *usersRun) parse(args []string) error {
	fs := newFlagSet("users "+u.cmd, u.stderr)
	fs.StringVar(&u.sf.path, "store", "", "GeoPackage store file")
	fs.StringVar(&u.sf.pg, "pg", "", "PostgreSQL URL of a PostGIS store")
	fs.StringVar(&u.name, "name", "", "the user's name (add, revoke)")
	fs.StringVar(&u.role, "role", "", "viewer, street_official, planner or admin (add)")
	fs.Var(&u.units, "unit", "admin unit code of the user's jurisdiction; repeat for several (street_official: required; planner: a district, or none for the city)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("users %s: unexpected argument %q", u.cmd, fs.Arg(0))
	}
	if u.sf.path == "" && u.sf.pg == "" {
		return fmt.Errorf("users: give the store: --store FILE.gpkg or --pg URL")
	}
	return nil
}

// note is the context of a write with its audit entry, by the command
// line as admin.
func (u *usersRun) note(action string, detail any) context.Context {
	b, _ := json.Marshal(detail)
	return coverage.WithWriteNote(u.ctx, coverage.WriteNote{Audit: &coverage.AuditEntry{
		At: time.Now(), User: cliUser, Role: coverage.Admin, Action: action, Detail: b}})
}

// add adds a user and prints the token, once.
func (u *usersRun) add() error {
	r, err := coverage.ParseRole(u.role)
	if err != nil {
		return fmt.Errorf("users add: --role: %w", err)
	}
	token, id, cred := coverage.NewToken()
	user := coverage.User{ID: id, Name: u.name, Role: r, Units: u.units, Created: time.Now()}
	if err := user.Check(); err != nil {
		return fmt.Errorf("users add: %w", err)
	}
	st, err := u.sf.open(u.ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if user.Units, err = resolveUserUnits(u.ctx, st, user.Units); err != nil {
		return fmt.Errorf("users add: --unit: %w", err)
	}
	if err := st.AddUser(u.note("user.add", map[string]any{"name": user.Name, "role": user.Role, "units": user.Units, "id": user.ID}), user, cred); err != nil {
		return fmt.Errorf("users add: %w", err)
	}
	if err := st.Close(); err != nil {
		return err
	}
	fmt.Fprintf(u.stderr, "added %s (%s%s); the token is shown only now — give it to them over a safe channel:\n", user.Name, user.Role, unitsNote(user.Units))
	fmt.Fprintln(u.stdout, token)
	return nil
}

// list prints the users as a table.
func (u *usersRun) list() error {
	st, err := u.sf.open(u.ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	users, err := st.Users(u.ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(u.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tNAME\tROLE\tUNITS\tCREATED\tREVOKED")
	for _, us := range users {
		revoked := "-"
		if !us.Active() {
			revoked = us.Revoked.Format(time.RFC3339)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", us.ID, us.Name, us.Role, strings.Join(us.Units, ","), us.Created.Format(time.RFC3339), revoked)
	}
	return w.Flush()
}

// revoke revokes a user's token.
func (u *usersRun) revoke() error {
	if u.name == "" {
		return fmt.Errorf("users revoke: --name NAME is required")
	}
	st, err := u.sf.open(u.ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.RevokeUser(u.note("user.revoke", map[string]string{"name": u.name}), u.name); err != nil {
		return fmt.Errorf("users revoke: %w", err)
	}
	fmt.Fprintf(u.stdout, "revoked the token of %s\n", u.name)
	return st.Close()
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

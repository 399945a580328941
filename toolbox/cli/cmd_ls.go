package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	ucli "github.com/urfave/cli/v2"

	"github.com/tbx-dev/tbx/toolbox/internal/engine"
	"github.com/tbx-dev/tbx/toolbox/internal/project"
)

type lsOptions struct {
	JSON bool
}

func lsCommand(a *app) *ucli.Command {
	return &ucli.Command{
		Name:  "ls",
		Usage: "list the recipe's tools: commands, source, version and state",
		Flags: []ucli.Flag{&ucli.BoolFlag{Name: "json", Usage: "print JSON"}},
		Action: func(c *ucli.Context) error {
			return act(a, c, a.seams.ls, lsOptions{JSON: c.Bool("json")}, func(s project.Settings, o lsOptions) error { return a.ls(c.Context, s, o) })
		},
	}
}

func (a *app) ls(ctx context.Context, s project.Settings, opts lsOptions) error {
	v, err := project.Inspect(s)
	if err != nil {
		return err
	}
	if !v.Verdict.Status.OK() {
		fmt.Fprintf(a.streams.Err, "tbx: %s is %s\n", v.Recipe.Path, statusLine(v.Verdict))
	}
	e, err := a.engine()
	if err != nil {
		return err
	}
	defer closeEngine(e)
	return runLs(ctx, v, e, opts, a.streams)
}

// lsEntry is one tool in `tbx ls --json`.
type lsEntry struct {
	Tool     string   `json:"tool"`
	Commands []string `json:"commands"`
	Source   string   `json:"source"` // "build" or "image"
	From     string   `json:"from"`   // the build context (relative to the recipe) or image reference
	Version  string   `json:"version,omitempty"`
	Image    string   `json:"image"` // what runs
	State    string   `json:"state"`
	Lock     string   `json:"lock,omitempty"`  // locked, stale or unlocked; absent without toolbox.lock
	Notes    []string `json:"notes,omitempty"` // what its build's files say: a Dockerfile that does not parse, unpinned remote sources
	Warm     []lsWarm `json:"warm,omitempty"`  // the tool's warm containers
}

// lsWarm is one warm container in `tbx ls --json`.
type lsWarm struct {
	Container string `json:"container"`
	Busy      bool   `json:"busy"`
	StopsIn   int    `json:"stops_in_seconds"` // when idle
	Spare     bool   `json:"spare,omitempty"`  // it serves one run, then goes
}

func runLs(ctx context.Context, v *project.View, e engine.Engine, opts lsOptions, s *Streams) error {
	sts, err := v.Statuses(ctx, e)
	if err != nil {
		return err
	}
	warms, err := v.Warm(ctx, e)
	if err != nil {
		return err
	}
	entries := make([]lsEntry, len(sts))
	for i, st := range sts {
		entries[i] = entryOf(v, st)
		for _, w := range warms {
			if w.Tool == st.Tool.Name {
				entries[i].Warm = append(entries[i].Warm, lsWarm{Container: w.Name, Busy: w.Busy, StopsIn: int(w.Left.Seconds()), Spare: w.Spare})
			}
		}
	}
	if opts.JSON {
		enc := json.NewEncoder(s.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(entries)
	}
	if err := writeTable(s.Out, entries, v.Lock != nil); err != nil {
		return err
	}
	printWarm(s, warms)
	for _, e := range entries {
		printNotes(s.Out, e.Tool, e.Notes)
	}
	return nil
}

// maxColumns is how wide ls's table may be; ls --json has everything whole.
const maxColumns = 100

// writeTable prints the tools as a table within maxColumns: when it would
// be wider, the widest of the tool, commands, source and version columns
// is narrowed, a column at a time, and its cells cut.
func writeTable(w io.Writer, entries []lsEntry, locked bool) error {
	limits := []int{-1, -1, -1, -1, -1, -1} // no cut
	rows := tableRows(entries, locked, limits)
	widths := columnWidths(rows)
	floors := []int{10, 10, 16, 8}
	for total(widths) > maxColumns {
		col := -1
		for i, f := range floors {
			if widths[i] > f && (col < 0 || widths[i]-floors[i] > widths[col]-floors[col]) {
				col = i
			}
		}
		if col < 0 {
			break // as narrow as it goes
		}
		widths[col]--
		limits[col] = widths[col]
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range tableRows(entries, locked, limits) {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// tableRows are the table's cells, each cut to its column's limit (-1:
// whole).
func tableRows(entries []lsEntry, locked bool, limits []int) [][]string {
	head := []string{"TOOL", "COMMANDS", "SOURCE", "VERSION", "STATE"}
	if locked {
		head = append(head, "LOCK")
	}
	rows := [][]string{head}
	for _, e := range entries {
		r := []string{
			fitStart(e.Tool, limits[0]),
			fitList(e.Commands, limits[1]),
			e.Source + " " + fitEnd(e.From, limits[2]-len(e.Source)-1),
			fitStart(orDash(e.Version), limits[3]),
			e.State,
		}
		if locked {
			r = append(r, e.Lock)
		}
		rows = append(rows, r)
	}
	return rows
}

func columnWidths(rows [][]string) []int {
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, cell := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(cell))
		}
	}
	return widths
}

// total is how wide columns of widths are once tabwriter aligns them.
func total(widths []int) int {
	sum := 0
	for _, w := range widths {
		sum += w + 2
	}
	return sum - 2
}

// printWarm lists the warm containers under the table, when there are any.
func printWarm(s *Streams, warms []project.WarmContainer) {
	for _, w := range warms {
		kind, state := "warm", "idle, stops in "+w.Left.String()
		if w.Spare {
			kind, state = "spare", "ready for the next run, goes in "+w.Left.String()
		}
		if w.Busy {
			state = "running a command"
		}
		fmt.Fprintf(s.Out, "%s: %s in %s: %s\n", kind, w.Tool, w.Name, state)
	}
}

func entryOf(v *project.View, st project.Status) lsEntry {
	t := st.Tool
	e := lsEntry{Tool: t.Name, Commands: t.Commands, Version: t.Version, Image: st.Ref, State: string(st.State), Lock: string(st.Lock), Notes: v.Notes(t.Name)}
	if e.Commands == nil {
		e.Commands = []string{}
	}
	if t.Image != "" {
		e.Source, e.From = "image", t.Image
	} else {
		e.Source, e.From = "build", relTo(v.Recipe.Dir, t.Build)
	}
	if e.Version == "" && st.Ref != "" {
		e.Version = st.Ref[strings.LastIndex(st.Ref, ":")+1:]
	}
	return e
}

// fitList joins list with commas in at most width columns (-1: all of
// it): what does not fit is counted, "az,ansible,+5".
func fitList(list []string, width int) string {
	if width < 0 {
		return strings.Join(list, ",")
	}
	out := ""
	for i, item := range list {
		next := out + "," + item
		if i == 0 {
			next = item
		}
		rest := len(list) - i - 1
		if len(next) > width || rest > 0 && len(next)+len(fmt.Sprintf(",+%d", rest)) > width {
			if out == "" {
				return fmt.Sprintf("+%d", len(list))
			}
			return fmt.Sprintf("%s,+%d", out, len(list)-i)
		}
		out = next
	}
	return out
}

// fitEnd cuts s to width columns, keeping its end (a tag, a folder).
func fitEnd(s string, width int) string {
	if width < 0 || utf8.RuneCountInString(s) <= width {
		return s
	}
	r := []rune(s)
	return "…" + string(r[len(r)-width+1:])
}

// fitStart cuts s to width columns, keeping its start (a name, a hash).
func fitStart(s string, width int) string {
	if width < 0 || utf8.RuneCountInString(s) <= width {
		return s
	}
	return string([]rune(s)[:width-1]) + "…"
}

func relTo(dir, path string) string {
	if rel, err := filepath.Rel(dir, path); err == nil {
		return rel
	}
	return path
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// printNotes says, a line each, what tool's build files say (View.Notes).
func printNotes(w io.Writer, tool string, notes []string) {
	for _, n := range notes {
		fmt.Fprintf(w, "tool %s: %s\n", tool, n)
	}
}

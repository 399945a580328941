package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"text/tabwriter"

	ucli "github.com/urfave/cli/v2"

	"github.com/tbx-dev/tbx/toolbox/acquire"
	"github.com/tbx-dev/tbx/toolbox/engine"
	"github.com/tbx-dev/tbx/toolbox/project"
	"github.com/tbx-dev/tbx/toolbox/runner"
)

type lsOptions struct {
	JSON bool
}

func (a *app) lsCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "ls",
		Usage: "list the recipe's tools: commands, source, version and state",
		Flags: []ucli.Flag{&ucli.BoolFlag{Name: "json", Usage: "print JSON"}},
		Action: func(c *ucli.Context) error {
			s, err := a.settings(c)
			if err != nil {
				return err
			}
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
			return runLs(c.Context, v, e, lsOptions{JSON: c.Bool("json")}, a.streams)
		},
	}
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
	Lock     string   `json:"lock,omitempty"` // locked, stale or unlocked; absent without toolbox.lock
	Warm     []lsWarm `json:"warm,omitempty"` // the tool's warm containers
}

// lsWarm is one warm container in `tbx ls --json`.
type lsWarm struct {
	Container string `json:"container"`
	Busy      bool   `json:"busy"`
	StopsIn   int    `json:"stops_in_seconds"` // when idle
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
				entries[i].Warm = append(entries[i].Warm, lsWarm{Container: w.Name, Busy: w.Busy, StopsIn: int(w.Left.Seconds())})
			}
		}
	}
	if opts.JSON {
		enc := json.NewEncoder(s.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(entries)
	}
	tw := tabwriter.NewWriter(s.Out, 0, 0, 2, ' ', 0)
	locked := v.Lock != nil
	fmt.Fprint(tw, "TOOL\tCOMMANDS\tSOURCE\tVERSION\tSTATE")
	if locked {
		fmt.Fprint(tw, "\tLOCK")
	}
	fmt.Fprintln(tw)
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s %s\t%s\t%s", e.Tool, strings.Join(e.Commands, ","), e.Source, e.From, orDash(e.Version), e.State)
		if locked {
			fmt.Fprintf(tw, "\t%s", e.Lock)
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	printWarm(s, warms)
	return nil
}

// printWarm lists the warm containers under the table, when there are any.
func printWarm(s *Streams, warms []runner.WarmContainer) {
	for _, w := range warms {
		state := "idle, stops in " + w.Left.String()
		if w.Busy {
			state = "running a command"
		}
		fmt.Fprintf(s.Out, "warm: %s in %s: %s\n", w.Tool, w.Name, state)
	}
}

func entryOf(v *project.View, st acquire.Status) lsEntry {
	t := st.Tool
	e := lsEntry{Tool: t.Name, Commands: t.Commands, Version: t.Version, Image: st.Ref, State: string(st.State), Lock: string(st.Lock)}
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

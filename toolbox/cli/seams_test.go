package cli

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tbx-dev/tbx/toolbox/internal/project"
)

// asked runs tbx with args in-process with every command's action replaced
// by a seam, and returns the options the one that ran was given.
func asked(t *testing.T, args ...string) any {
	t.Helper()
	var got any
	keep := func(o any) error { got = o; return nil }
	var errb bytes.Buffer
	a := &app{streams: &Streams{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: &errb}, seams: seams{
		run:     func(o runOptions) error { return keep(o) },
		acquire: func(o acquireOptions) error { return keep(o) },
		lock:    func(o lockOptions) error { return keep(o) },
		gc:      func(o project.GCOptions) error { return keep(o) },
		init:    func(o initOptions) error { return keep(o) },
		ls:      func(o lsOptions) error { return keep(o) },
		push:    func(o pushOptions) error { return keep(o) },
		trust:   func(o trustOptions) error { return keep(o) },
		untrust: func(o untrustOptions) error { return keep(o) },
		shims:   func(o shimsOptions) error { return keep(o) },
		shim:    func(o shimOptions) error { return keep(o) },
		doctor:  func(o doctorOptions) error { return keep(o) },
		spare:   func(o spareOptions) error { return keep(o) },
	}}
	if err := run(append([]string{"tbx"}, args...), a); err != nil {
		t.Fatalf("tbx %v: %v (%s)", args, err, errb.String())
	}
	return got
}

// Each command line gives its command exactly these options; nothing runs.
func TestCommandLinesGiveTheirOptions(t *testing.T) {
	t.Setenv("TBX_FROZEN", "")
	shell := []string{"/bin/sh", "-c", "if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi"}
	cases := []struct {
		args []string
		want any
	}{
		{[]string{"run", "az", "--help"}, runOptions{RunRequest: project.RunRequest{Args: []string{"az", "--help"}}}},
		{[]string{"run", "--frozen", "jq", "-r", "."}, runOptions{RunRequest: project.RunRequest{Args: []string{"jq", "-r", "."}}, Frozen: true}},
		{[]string{"run", "--tool", "box", "--", "-x"}, runOptions{RunRequest: project.RunRequest{Tool: "box", Args: []string{"-x"}}}},
		{[]string{"run", "--tool=box", "ls", "--", "-l"}, runOptions{RunRequest: project.RunRequest{Tool: "box", Args: []string{"ls", "--", "-l"}}}},
		{[]string{"shell", "box"}, runOptions{RunRequest: project.RunRequest{Tool: "box", Entrypoint: shell}}},
		{[]string{"build", "--force", "az"}, acquireOptions{project.AcquireOptions{Force: true, Build: true, Jobs: 1}, []string{"az"}}},
		{[]string{"pull"}, acquireOptions{project.AcquireOptions{Force: true, Pull: true, Jobs: DefaultJobs}, []string{}}},
		{[]string{"prepare", "-j", "5", "--push", "az", "jq"}, acquireOptions{project.AcquireOptions{Jobs: 5, Push: true}, []string{"az", "jq"}}},
		{[]string{"prepare", "--frozen"}, acquireOptions{project.AcquireOptions{Jobs: DefaultJobs, Frozen: true}, []string{}}},
		{[]string{"lock", "--check"}, lockOptions{Check: true}},
		{[]string{"lock", "--update"}, lockOptions{Update: true}},
		{[]string{"gc", "-n", "--all", "--images"}, project.GCOptions{DryRun: true, All: true, Images: true}},
		{[]string{"gc", "--warm", "--volumes"}, project.GCOptions{Warm: true, Volumes: true}},
		{[]string{"init", "-r", "minimal", "--name", "team", "--force"}, initOptions{Recipe: "minimal", Name: "team", Force: true}},
		{[]string{"init"}, initOptions{Recipe: "minimal"}},
		{[]string{"ls", "--json"}, lsOptions{JSON: true}},
		{[]string{"ls"}, lsOptions{}},
		{[]string{"push", "az"}, pushOptions{[]string{"az"}}},
		{[]string{"push", "--sign-key", "k", "az", "jq"}, pushOptions{[]string{"az", "jq"}}},
		{[]string{"trust"}, trustOptions{}},
		{[]string{"trust", "--show"}, trustOptions{Show: true}},
		{[]string{"untrust"}, untrustOptions{}},
		{[]string{"doctor"}, doctorOptions{}},
		{[]string{"shims", "install"}, shimsOptions{}},
		{[]string{"shims", "install", "--dir", "bin"}, shimsOptions{Dir: "bin"}},
		{[]string{"shims", "remove", "--dir=bin"}, shimsOptions{Dir: "bin", Remove: true}},
		{[]string{"shim", "az", "--help", "-o", "json"}, shimOptions{[]string{"az", "--help", "-o", "json"}}},
		{[]string{"__spare", "box", "box-sh", "true", "1700000000000000000"}, spareOptions{"box", "box-sh", true, time.Unix(0, 1700000000000000000)}},
	}
	for _, c := range cases {
		if got := asked(t, c.args...); !reflect.DeepEqual(got, c.want) {
			t.Errorf("tbx %s:\n got  %#v\n want %#v", strings.Join(c.args, " "), got, c.want)
		}
	}
}

// TBX_FROZEN freezes prepare as --frozen does, and refuses --push with it.
func TestFrozenFromTheEnvironment(t *testing.T) {
	t.Setenv("TBX_FROZEN", "1")
	if got := asked(t, "prepare"); !got.(acquireOptions).Frozen {
		t.Errorf("prepare with TBX_FROZEN=1: %+v", got)
	}
	a := &app{streams: &Streams{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}, seams: seams{
		acquire: func(acquireOptions) error { t.Error("a frozen push was acquired"); return nil },
	}}
	if err := run([]string{"tbx", "prepare", "--push"}, a); err == nil || !strings.Contains(err.Error(), "--frozen and --push") {
		t.Errorf("prepare --push with TBX_FROZEN=1: %v", err)
	}
}

// A command line that cannot be what its command takes is refused in one
// line before its command is reached.
func TestCommandLinesThatAreRefused(t *testing.T) {
	t.Setenv("TBX_FROZEN", "")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"shim"}, "tbx shim needs a COMMAND"},
		{[]string{"__spare", "box", "box-sh", "maybe", "1"}, "takes TOOL COMMAND TTY SINCE"},
		{[]string{"__spare", "box"}, "takes TOOL COMMAND TTY SINCE"},
		{[]string{"prepare", "--frozen", "--push"}, "--frozen and --push do not go together"},
		{[]string{"run"}, "tbx run needs a COMMAND"},
		{[]string{"ls", "--bogus"}, "flag provided but not defined: -bogus"},
	}
	for _, c := range cases {
		args, want := c.args, c.want
		a := &app{streams: &Streams{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}, seams: seams{
			run:   func(runOptions) error { t.Errorf("tbx %v reached run", args); return nil },
			shim:  func(shimOptions) error { t.Errorf("tbx %v reached shim", args); return nil },
			spare: func(spareOptions) error { t.Errorf("tbx %v reached __spare", args); return nil },
			acquire: func(acquireOptions) error {
				t.Errorf("tbx %v reached prepare", args)
				return nil
			},
			ls: func(lsOptions) error { t.Errorf("tbx %v reached ls", args); return nil },
		}}
		err := run(append([]string{"tbx"}, args...), a)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("tbx %s: %v; want it to say %q", strings.Join(args, " "), err, want)
		}
	}
}

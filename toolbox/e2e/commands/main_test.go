// The command tests drive tbx against a Linux Engine from a Unix host.

//go:build !windows

package commands

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/tbx-dev/tbx/toolbox/helper"
	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// tbxBin is a tbx binary built for tests that need a real process: signals,
// terminals, another user.
var tbxBin string

func TestMain(m *testing.M) {
	// In-process runs make this test binary the warm helper.
	if len(os.Args) > 1 && os.Args[1] == helper.Command {
		os.Exit(helper.Main(os.Args[2:]))
	}
	// -short runs the unit tests alone: no Engine, no binaries to build.
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run())
	}
	// tbx-warm next to it: the helper its warm runs mount (in-process runs
	// use this test binary instead, through the dispatch above).
	dir, err := testenv.BuildTbx()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tbxBin = filepath.Join(dir, "tbx")
	// In-process runs are this test binary, the core, which may be
	// dynamically linked: give it the static tbx-warm and the front next
	// to it, as an install has.
	if self, err := os.Executable(); err == nil {
		for _, name := range []string{"tbx-warm", "tbx"} {
			if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
				_ = os.WriteFile(filepath.Join(filepath.Dir(self), name), b, 0o755)
			}
		}
	}
	// The recipes tests write are theirs to run: they live under the temporary
	// directory, or are the repository's own. The trust tests clear this.
	repo, _ := filepath.Abs("../../..")
	os.Setenv("TBX_TRUST", os.TempDir()+string(filepath.ListSeparator)+repo)
	// Spares are containers left for the next run: the tests of spares
	// ask for them; every other test leaves nothing behind.
	os.Setenv("TBX_SPARE", "0")
	code := withStrangers(m.Run)
	os.RemoveAll(dir)
	os.Exit(code)
}

// needBinaries skips a test that runs tbx's binaries under -short, which
// builds none: the full suite runs it.
func needBinaries(t *testing.T) {
	t.Helper()
	if tbxBin == "" {
		t.Skip("runs tbx's binaries, which -short does not build; the full suite runs it")
	}
}

// withStrangers runs the suite next to other projects' and another user's
// containers, and fails it if it removed any of them.
func withStrangers(run func() int) int {
	c, err := testenv.Connect(context.Background())
	if err != nil {
		return run() // the tests that need an Engine say so themselves
	}
	defer c.Close()
	s, err := testenv.MakeStrangers(c)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer s.Remove()
	code := run()
	if gone := s.Missing(); len(gone) > 0 {
		fmt.Fprintf(os.Stderr, "the suite removed %d containers of other projects or users: %v\n", len(gone), gone)
		return 1
	}
	return code
}

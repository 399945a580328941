//go:build !windows

package cli

import (
	"strings"
	"testing"
)

// Help is on every command, run included, and on `tbx help`; the texts are
// golden files (go test ./toolbox/cli -run TestHelpAndCompletion -update).
func TestHelpAndCompletion(t *testing.T) {
	cases := map[string][]string{
		"help.golden":                  {"help"},
		"help-run.golden":              {"run", "--help"},
		"help-run-h.golden":            {"help", "run"},
		"help-gc.golden":               {"gc", "-h"},
		"completion-bash.golden":       {"completion", "bash"},
		"completion-zsh.golden":        {"completion", "zsh"},
		"completion-fish.golden":       {"completion", "fish"},
		"completion-powershell.golden": {"completion", "powershell"},
	}
	for name, args := range cases {
		r := tbx(t, args...)
		if r.code != 0 || r.err != "" {
			t.Errorf("tbx %v: exit %d, stderr %q", args, r.code, r.err)
		}
		golden(t, name, r.out)
	}
	if r := tbx(t, "run"); r.code != 125 || strings.Count(r.err, "\n") != 1 || !strings.HasPrefix(r.err, "tbx: tbx run needs a COMMAND: tbx run [--frozen] COMMAND") {
		t.Errorf("tbx run with nothing: exit %d, stderr %q", r.code, r.err)
	}
	if r := tbx(t, "--bogus"); strings.Contains(r.err, "tbx tbx") {
		t.Errorf("a bad global flag: %q", r.err)
	}
}

func TestVersion(t *testing.T) {
	r := mustTbx(t, "version")
	if !strings.HasPrefix(r.out, "tbx ") || r.err != "" {
		t.Errorf("version: %q %q", r.out, r.err)
	}
	if flag := mustTbx(t, "--version"); flag.out != r.out {
		t.Errorf("tbx --version says %q, tbx version %q: one format", flag.out, r.out)
	}
}

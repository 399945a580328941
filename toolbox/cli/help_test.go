//go:build !windows

package cli

import (
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tbx-dev/tbx/recipes"
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

// The bash completion, sourced in a real bash, completes commands, the
// nearest recipe's commands after run, tool names and flags.
func TestBashCompletion(t *testing.T) {
	needBinaries(t)
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"toolbox.toml": "[toolbox]\nname = \"comp\"\n[tools.az]\nimage = \"x/az:1\"\n[tools.ansible]\nimage = \"x/ansible:1\"\ncommands = [\"ansible\", \"ansible-playbook\"]\n",
	})
	script := filepath.Join(dir, "tbx.bash")
	writeFiles(t, dir, map[string]string{"tbx.bash": tbx(t, "completion", "bash").out})
	complete := func(line string) string {
		t.Helper()
		words := strings.Fields(line)
		if strings.HasSuffix(line, " ") {
			words = append(words, "")
		}
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = "'" + w + "'"
		}
		prog := "source " + script + "; COMP_WORDS=(" + strings.Join(quoted, " ") + "); COMP_CWORD=" +
			strconv.Itoa(len(words)-1) + "; _tbx_complete; echo \"${COMPREPLY[*]}\""
		cmd := exec.Command(bash, "-c", prog)
		cmd.Dir = dir
		cmd.Env = append(cmd.Environ(), "PATH="+filepath.Dir(tbxBin)+":/usr/bin:/bin")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("completing %q: %v", line, err)
		}
		return strings.TrimSpace(string(out))
	}
	for line, want := range map[string]string{
		"tbx ru":               "run",
		"tbx run ansible":      "ansible ansible-playbook",
		"tbx run a":            "az ansible ansible-playbook",
		"tbx shell a":          "ansible az",
		"tbx prepare --j":      "--jobs",
		"tbx completion ":      "bash zsh fish powershell",
		"tbx run --tool ":      "ansible az",
		"tbx run -t an":        "ansible",
		"tbx --progress ":      "auto tty plain",
		"tbx init -r ":         strings.Join(recipes.Names(), " "),
		"tbx init --recipe pl": "platform",
	} {
		if got := complete(line); got != want {
			t.Errorf("%q completes to %q, want %q", line, got, want)
		}
	}
}

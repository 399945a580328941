//go:build !windows

package commands

import (
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tbx-dev/tbx/recipes"
)

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

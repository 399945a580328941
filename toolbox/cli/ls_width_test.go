//go:build !windows

package cli

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tbx-dev/tbx/toolbox/internal/project"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
)

func TestFitList(t *testing.T) {
	for _, c := range []struct {
		list  []string
		width int
		want  string
	}{
		{[]string{"az"}, 26, "az"},
		{[]string{"ansible", "ansible-playbook"}, 26, "ansible,ansible-playbook"},
		{[]string{"ansible", "ansible-playbook", "ansible-galaxy", "ansible-vault"}, 27, "ansible,ansible-playbook,+2"},
		{[]string{"ansible", "ansible-playbook", "ansible-galaxy", "ansible-vault"}, 26, "ansible,+3"},
		{[]string{"a-very-long-command-name-indeed", "b"}, 10, "+2"},
	} {
		if got := fitList(c.list, c.width); got != c.want || len(got) > c.width {
			t.Errorf("fitList(%v, %d) = %q, want %q", c.list, c.width, got, c.want)
		}
	}
}

// tbx ls stays within 100 columns, whatever the recipe names.
func TestLsFitsIn100Columns(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{recipe.FileName: `[toolbox]
name = "wide"
[tools.ansible-with-a-long-name]
image = "registry.example.com/platform-team/tools/ansible-core-with-collections:2.14.18-0-deb12u2"
commands = ["ansible", "ansible-playbook", "ansible-galaxy", "ansible-inventory", "ansible-config", "ansible-doc", "ansible-vault", "ansible-pull"]
`})
	v, err := project.Inspect(project.Settings{File: filepath.Join(dir, recipe.FileName), Cwd: dir, StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := runLs(context.Background(), v, &listingEngine{}, lsOptions{}, &Streams{Out: &out, Err: io.Discard}); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		if n := utf8.RuneCountInString(line); n > 100 {
			t.Errorf("a line of %d columns:\n%s", n, line)
		}
	}
	if !strings.Contains(out.String(), ",+") {
		t.Errorf("the long command list is not cut with a count:\n%s", out.String())
	}
}

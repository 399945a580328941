package cli

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tbx-dev/tbx/toolbox/testenv"
)

// BenchmarkLs50ReadyTools times `tbx ls` on a recipe of 50 built tools, all
// ready: recipe parse, one image listing, 50 content hashes and the table.
func BenchmarkLs50ReadyTools(b *testing.B) {
	c := testenv.Engine(b)
	base := testenv.ImportBase(b, c, map[string]string{"etc/base": "base\n"})
	project := testenv.Project(b, c)
	dir := b.TempDir()
	var recipe strings.Builder
	fmt.Fprintf(&recipe, "[toolbox]\nname = %q\n", project)
	files := map[string]string{}
	for i := 0; i < 50; i++ {
		fmt.Fprintf(&recipe, "[tools.tool%02d]\nbuild = \"images/tool%02d\"\nargs = { TOOL_VERSION = \"1.%d\" }\n", i, i, i)
		files[fmt.Sprintf("images/tool%02d/Dockerfile", i)] = "FROM " + base + "\nCOPY . /opt/tool\n"
		files[fmt.Sprintf("images/tool%02d/bin/tool", i)] = fmt.Sprintf("#!/bin/sh\necho tool %d\n", i)
	}
	files["toolbox.toml"] = recipe.String()
	writeFiles(b, dir, files)
	path := filepath.Join(dir, "toolbox.toml")
	if r := tbx(b, "-f", path, "--progress", "plain", "prepare", "-j", "4"); r.code != 0 {
		b.Fatalf("prepare: %s", r.err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := tbx(b, "-f", path, "ls")
		if r.code != 0 || strings.Count(r.out, " ready") != 50 {
			b.Fatalf("ls: exit %d\n%s%s", r.code, r.out, r.err)
		}
	}
}

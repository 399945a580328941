//go:build !windows

package commands

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
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

// BenchmarkFreshEngineToReady times a fresh, empty Engine getting the three
// example tools (the repository's toolbox.toml) ready: pulled from a team
// registry on 127.0.0.1, against built from images/. Both start from
// nothing; the build pulls only the base image, pinned by the lock. Run it
// with -benchtime 1x (scripts/bench-registry.sh does).
func BenchmarkFreshEngineToReady(b *testing.B) {
	a := testenv.Engine(b)
	testenv.Debian(b, a)
	b.Setenv("XDG_STATE_HOME", b.TempDir())
	addr := testenv.Registry(b, "")
	dir, project := exampleProject(b, a)
	recipe := filepath.Join(dir, "toolbox.toml")
	b.Setenv("TBX_REGISTRY", addr)
	for _, args := range [][]string{{"prepare", "--push", "-j", "3"}, {"lock"}} {
		if r := tbx(b, append([]string{"-f", recipe, "--progress", "plain"}, args...)...); r.code != 0 {
			b.Fatalf("%v on the main Engine: %s", args, r.err)
		}
	}
	for _, mode := range []string{"pull", "build"} {
		b.Run(mode, func(b *testing.B) {
			registry := addr
			if mode == "build" {
				registry = ""
			}
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				_, host := testenv.SecondEngineOnline(b, a)
				b.Setenv("DOCKER_HOST", host)
				b.Setenv("TBX_REGISTRY", registry)
				b.StartTimer()
				r := tbx(b, "-f", recipe, "--progress", "plain", "prepare", "-j", "3")
				b.StopTimer()
				if r.code != 0 || strings.Count(r.err, ": ready, ") != 3 {
					b.Fatalf("prepare (%s) of %s on a fresh Engine: exit %d\n%s", mode, project, r.code, r.err)
				}
			}
		})
	}
}

package main

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/tbx-dev/tbx/toolbox/cli"
)

func TestMain(m *testing.M) {
	os.Exit(testscript.RunMain(m, map[string]func() int{
		"tbx": func() int { return cli.Main(os.Args, os.Stdin, os.Stdout, os.Stderr) },
	}))
}

// TestScripts runs the acceptance scripts in testdata/script: tbx as a user
// types it, in a fresh directory each.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("XDG_STATE_HOME", env.WorkDir+"/state")
			if h := os.Getenv("DOCKER_HOST"); h != "" {
				env.Setenv("DOCKER_HOST", h)
			}
			return nil
		},
	})
}

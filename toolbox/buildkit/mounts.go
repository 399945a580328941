package buildkit

import (
	"bytes"
	"slices"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// SSHIDs lists the ids that the Dockerfile's `RUN --mount=type=ssh` steps
// ask the build for ("default" when a mount names none), sorted, so that
// `ssh = true` serves the agent under each of them, as `docker build --ssh`
// must be told to.
func SSHIDs(dockerfile []byte) []string {
	res, err := parser.Parse(bytes.NewReader(dockerfile))
	if err != nil {
		return nil
	}
	stages, _, err := instructions.Parse(res.AST, nil)
	if err != nil {
		return nil
	}
	seen := map[string]bool{}
	for _, st := range stages {
		for _, cmd := range st.Commands {
			run, ok := cmd.(*instructions.RunCommand)
			// Parsing leaves a mount's fields unread until they are
			// expanded: taken as written, as an id is.
			if !ok || run.Expand(func(word string) (string, error) { return word, nil }) != nil {
				continue
			}
			for _, m := range instructions.GetMounts(run) {
				if m.Type != instructions.MountTypeSSH {
					continue
				}
				id := m.CacheID
				if id == "" {
					id = "default"
				}
				seen[id] = true
			}
		}
	}
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

package buildkit

import (
	"bytes"
	"slices"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// commands lists every instruction of every stage of dockerfile, as the
// frontend parses them; nil when it does not parse (the build says why).
func commands(dockerfile []byte) []instructions.Command {
	res, err := parser.Parse(bytes.NewReader(dockerfile))
	if err != nil {
		return nil
	}
	stages, _, err := instructions.Parse(res.AST, nil)
	if err != nil {
		return nil
	}
	var out []instructions.Command
	for _, st := range stages {
		out = append(out, st.Commands...)
	}
	return out
}

// mountsOf are a RUN's --mount flags. Parsing leaves a mount's fields
// unread until they are expanded: they are taken as written, as an id is.
func mountsOf(run *instructions.RunCommand) []*instructions.Mount {
	if run.Expand(func(word string) (string, error) { return word, nil }) != nil {
		return nil
	}
	return instructions.GetMounts(run)
}

// SSHIDs lists the ids that the Dockerfile's `RUN --mount=type=ssh` steps
// ask the build for ("default" when a mount names none), sorted, so that
// `ssh = true` serves the agent under each of them, as `docker build --ssh`
// must be told to.
func SSHIDs(dockerfile []byte) []string {
	seen := map[string]bool{}
	for _, cmd := range commands(dockerfile) {
		run, ok := cmd.(*instructions.RunCommand)
		if !ok {
			continue
		}
		for _, m := range mountsOf(run) {
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
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// HostNetworkLines lists the lines of the Dockerfile's `RUN
// --network=host` steps, which share the host's network with the build:
// BuildKit runs them only with the entitlement network.host.
func HostNetworkLines(dockerfile []byte) []int {
	var out []int
	for _, cmd := range commands(dockerfile) {
		run, ok := cmd.(*instructions.RunCommand)
		if !ok || instructions.GetNetwork(run) != instructions.NetworkHost {
			continue
		}
		if loc := run.Location(); len(loc) > 0 {
			out = append(out, loc[0].Start.Line)
		}
	}
	return out
}

package buildkit

import (
	"strings"
	"testing"
)

func TestSSHIDs(t *testing.T) {
	df := "FROM alpine\nRUN --mount=type=ssh true\nRUN --mount=type=ssh,id=github git clone x\nFROM alpine AS two\nRUN --mount=type=ssh,id=gitlab,required=true true\nRUN --mount=type=cache,id=apt,target=/c true\n"
	if got := strings.Join(SSHIDs([]byte(df)), " "); got != "default github gitlab" {
		t.Errorf("SSHIDs = %q", got)
	}
	if got := SSHIDs([]byte("FROM alpine\nRUN true\n")); len(got) != 0 {
		t.Errorf("no ssh mounts, ids %v", got)
	}
}

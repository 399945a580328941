package reuse

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/tbx-dev/tbx/toolbox/internal/labels"
)

// fakeLister is a Lister whose helpers answer from a table: container id →
// what its helper prints for "status", or absent when it does not answer.
type fakeLister struct {
	Lister
	list   []container.Summary
	status map[string]string
}

func (f *fakeLister) ContainerList(_ context.Context, o container.ListOptions) ([]container.Summary, error) {
	if !o.Filters.ExactMatch("label", labels.Warm) {
		return nil, errors.New("listed without the warm label")
	}
	return f.list, nil
}

func (f *fakeLister) ContainerExecCreate(_ context.Context, id string, _ container.ExecOptions) (container.ExecCreateResponse, error) {
	if _, ok := f.status[id]; !ok {
		return container.ExecCreateResponse{}, errors.New("container is not running")
	}
	return container.ExecCreateResponse{ID: id}, nil
}

func (f *fakeLister) ContainerExecAttach(_ context.Context, execID string, _ container.ExecAttachOptions) (types.HijackedResponse, error) {
	var out bytes.Buffer
	_, _ = stdcopy.NewStdWriter(&out, stdcopy.Stdout).Write([]byte(f.status[execID] + "\n"))
	conn, other := net.Pipe()
	_ = other.Close()
	return types.HijackedResponse{Conn: conn, Reader: bufio.NewReader(&out)}, nil
}

func warmSummary(id, tool, idle string) container.Summary {
	return container.Summary{ID: id, Names: []string{"/tbx-" + tool}, Labels: map[string]string{
		labels.Warm: "k", labels.Project: "p", labels.Tool: tool, labels.Idle: idle,
	}}
}

// ls's view of warm containers: an idle helper's start time gives the idle
// time left, anything else is a run in it, and a helper that does not
// answer is a container on its way out, not shown.
func TestListWarmReadsEachHelper(t *testing.T) {
	since := strconv.FormatInt(time.Now().Add(-10*time.Minute).Unix(), 10)
	f := &fakeLister{
		list:   []container.Summary{warmSummary("b", "kubectl", "1h"), warmSummary("a", "az", "30m"), warmSummary("c", "jq", "1h")},
		status: map[string]string{"a": "busy 42@host", "b": since},
	}
	got, err := ListWarm(context.Background(), f, filters.NewArgs())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Tool != "az" || got[1].Tool != "kubectl" {
		t.Fatalf("listed %+v, want az then kubectl", got)
	}
	if !got[0].Busy || got[0].Name != "tbx-az" {
		t.Errorf("az: %+v, want busy", got[0])
	}
	if got[1].Busy || got[1].Left < 49*time.Minute || got[1].Left > 50*time.Minute {
		t.Errorf("kubectl: %+v, want idle with about 50m left", got[1])
	}
}

// gc's view: a busy helper names its runs' launchers; an idle one, or one
// that does not answer, has no run.
func TestWarmRunsNamesLaunchers(t *testing.T) {
	f := &fakeLister{status: map[string]string{"a": "busy 42@host 7@other", "b": "1700000000"}}
	for id, want := range map[string][]string{"a": {"42@host", "7@other"}, "b": nil, "gone": nil} {
		busy, launchers := WarmRuns(context.Background(), f, id)
		if busy != (want != nil) || len(launchers) != len(want) || (want != nil && launchers[1] != want[1]) {
			t.Errorf("%s: busy %v launchers %v, want %v", id, busy, launchers, want)
		}
	}
}

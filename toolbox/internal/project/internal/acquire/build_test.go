package acquire

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/image"

	"github.com/tbx-dev/tbx/toolbox/internal/engine"
	"github.com/tbx-dev/tbx/toolbox/internal/progress"
)

// classicEngine is an Engine without BuildKit: /grpc is refused, and the
// classic builder answers every build with a finished image.
type classicEngine struct {
	engine.Engine
	dials, builds int
}

func (f *classicEngine) DialHijack(context.Context, string, string, map[string][]string) (net.Conn, error) {
	f.dials++
	return nil, errors.New("page not found")
}

func (f *classicEngine) ImageList(context.Context, image.ListOptions) ([]image.Summary, error) {
	return []image.Summary{{ID: "sha256:base", RepoTags: []string{"debian:bookworm-slim"}}}, nil
}

func (f *classicEngine) ImageBuild(_ context.Context, ctx io.Reader, _ build.ImageBuildOptions) (build.ImageBuildResponse, error) {
	f.builds++
	_, _ = io.Copy(io.Discard, ctx)
	body := `{"stream":"Step 1/1 : FROM debian:bookworm-slim\n"}` + "\n" + `{"aux":{"ID":"sha256:built"}}` + "\n"
	return build.ImageBuildResponse{Body: io.NopCloser(strings.NewReader(body))}, nil
}

func TestEngineWithoutBuildKitBuildsClassicAndSaysSoOnce(t *testing.T) {
	r := testRecipe(t)
	f := &classicEngine{}
	var stderr bytes.Buffer
	m := New(Config{Engine: f, Recipe: r, Stderr: &stderr, Mode: progress.Plain})
	for i := 0; i < 2; i++ {
		if _, err := m.builder().build(context.Background(), Status{Tool: r.Tools[0], Ref: "tbx/p/built:x"}, false, progress.Plain); err != nil {
			t.Fatal(err)
		}
	}
	if f.builds != 2 || strings.Count(stderr.String(), "building with the classic builder") != 1 {
		t.Errorf("%d classic builds; stderr:\n%s", f.builds, stderr.String())
	}
	if f.dials == 0 {
		t.Error("BuildKit was never asked for")
	}
}

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

	"github.com/tbx-dev/tbx/toolbox/internal/progress"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
)

// classicEngine is an Engine without BuildKit: /grpc is refused, and the
// classic builder answers every build with a finished image.
type classicEngine struct {
	Engine
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
		if _, err := m.b.build(context.Background(), Status{Tool: r.Tools[0], Ref: "tbx/p/built:x"}, false, progress.Plain); err != nil {
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

// A build secret's variable comes from the caller's environment as the
// command line read it: its value is what the build is given, and a
// variable that is not set is named before the Engine is asked anything.
func TestBuildSecretsComeFromTheCallersEnvironment(t *testing.T) {
	r := testRecipe(t)
	tool := *r.Tools[0]
	tool.Secrets = []recipe.Secret{{ID: "token", Env: "FEED_TOKEN"}}
	st := Status{Tool: &tool, Ref: "tbx/p/built:x"}
	m := New(Config{Recipe: r, Environ: []string{"FEED_TOKEN=s3cret"}})
	req, err := m.b.buildRequest(st, false)
	if err != nil || len(req.Secrets) != 1 || string(req.Secrets[0].Value) != "s3cret" {
		t.Fatalf("request secrets %+v, %v", req.Secrets, err)
	}
	m = New(Config{Recipe: r, Environ: []string{"OTHER=1"}})
	if _, err := m.b.buildRequest(st, false); err == nil || !strings.Contains(err.Error(), "the variable FEED_TOKEN is not set") {
		t.Errorf("a missing variable: %v", err)
	}
}

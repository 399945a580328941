//go:build linux

package signing

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stringid"

	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// fakeImage makes, outside tbx, an image whose command tool says
// tool-evil: what someone with the Engine could put under a tool's tag.
// It is removed when the test ends.
func fakeImage(t testing.TB, c *client.Client, tool string) string {
	t.Helper()
	ctx := context.Background()
	script := "printf '#!/bin/sh\\necho " + tool + "-evil\\n' > /usr/local/bin/" + tool + " && chmod +x /usr/local/bin/" + tool
	ct, err := c.ContainerCreate(ctx, &container.Config{Image: testenv.DebianBase, Cmd: []string{"sh", "-c", script}, Labels: map[string]string{testenv.TestLabel: "1"}}, nil, nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	defer testenv.RemoveContainer(c, ct.ID)
	waitC, errC := c.ContainerWait(ctx, ct.ID, container.WaitConditionNextExit)
	if err := c.ContainerStart(ctx, ct.ID, container.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errC:
		t.Fatal(err)
	case <-waitC:
	}
	id, err := c.ContainerCommit(ctx, ct.ID, container.CommitOptions{Changes: []string{"LABEL " + testenv.TestLabel + "=1", `CMD ["/bin/sh"]`}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { testenv.RemoveImage(c, id.ID) })
	return id.ID
}

// lsEntry is what `tbx ls --json` says of tool.
func (w *world) ls(t testing.TB, env []string, tool string) (ref, state string) {
	t.Helper()
	r := run(t, w.dir, env, "tbx", "ls", "--json")
	var entries []struct{ Tool, Image, State string }
	if err := json.Unmarshal([]byte(r.Out), &entries); err != nil {
		t.Fatalf("tbx ls --json: %v\n%v", err, r)
	}
	for _, e := range entries {
		if e.Tool == tool {
			return e.Image, e.State
		}
	}
	t.Fatalf("tbx ls --json does not list %s:\n%v", tool, r)
	return "", ""
}

// loadAs replaces what ref names with image id the way `docker load` of
// a tarball would: saved under ref, untagged, loaded back.
func loadAs(t testing.TB, c *client.Client, id, ref string) {
	t.Helper()
	ctx := context.Background()
	if err := c.ImageTag(ctx, id, ref); err != nil {
		t.Fatal(err)
	}
	rd, err := c.ImageSave(ctx, []string{ref})
	if err != nil {
		t.Fatal(err)
	}
	tarball, err := io.ReadAll(rd)
	rd.Close()
	if err != nil {
		t.Fatal(err)
	}
	testenv.RemoveImage(c, ref)
	resp, err := c.ImageLoad(ctx, bytes.NewReader(tarball), client.ImageLoadWithQuiet(true))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got, err := c.ImageInspect(ctx, ref); err != nil || got.ID != id {
		t.Fatalf("after docker load, %s is %s (%v); want %s", ref, got.ID, err, id)
	}
}

// A tag is a name anyone with the Engine can give: an image put under a
// built tool's tag with docker tag or docker load is not "built here". It
// never runs, is never pushed or signed; the tool is built again (or
// pulled as the team published it), and doctor says why.
func testForeignImages(t *testing.T, w *world) {
	ctx := context.Background()
	writeFile(t, w.dir, "images/ww/Dockerfile", "FROM "+testenv.DebianBase+"\nRUN printf '#!/bin/sh\\necho ww-fake\\n' > /usr/local/bin/ww && chmod +x /usr/local/bin/ww\n")
	w.writeRecipe(t, `["ci/cosign.pub"]`, "\n[tools.ww]\nbuild = \"images/ww\"\n")
	defer w.writeRecipe(t, `["ci/cosign.pub"]`)
	m := w.fresh(t)
	ref, _ := w.ls(t, m, "ww")
	fake := fakeImage(t, w.c, "ww")
	short := stringid.TruncateID(fake)
	if err := w.c.ImageTag(ctx, fake, ref); err != nil {
		t.Fatal(err)
	}

	if _, state := w.ls(t, m, "ww"); state != "foreign" {
		t.Errorf("tbx ls says %q of an image only tagged as ww's; want foreign", state)
	}
	r := run(t, w.dir, m, "tbx", "doctor")
	if r.Code == 0 || !strings.Contains(r.Err+r.Out, "tool ww: the image "+short+" under "+ref+" was not built by tbx here and no registry served it") || strings.Contains(r.Err+r.Out, "needs no signature") {
		t.Errorf("doctor on a foreign image under ww's tag:\n%v", r)
	}
	r = run(t, w.dir, m, "tbx", "push", "--sign-key", "ci/cosign.key", "ww")
	if r.Code != 125 || !strings.Contains(r.Err, "tool ww: refusing to push the image "+short) {
		t.Errorf("tbx push of a foreign image:\n%v", r)
	}
	if tags := testenv.Tags(t, w.proxy.addr, w.project+"/ww"); len(tags) != 0 {
		t.Errorf("the foreign image reached the registry as %v", tags)
	}

	r = run(t, w.dir, m, "tbx", "run", "ww")
	if r.Code != 0 || strings.TrimSpace(r.Out) != "ww-fake" || !strings.Contains(r.Err, "ww: building") {
		t.Errorf("a run over a foreign image: want ww built again and run:\n%v", r)
	}
	if !hasImage(w.c, fake) {
		t.Error("the foreign image was removed: its owner may want it")
	}
	if _, state := w.ls(t, m, "ww"); state != "ready" {
		t.Errorf("after the build, tbx ls says %q of ww; want ready", state)
	}
	r = run(t, w.dir, m, "tbx", "doctor")
	if !strings.Contains(r.Err+r.Out, "built here by tbx: needs no signature") {
		t.Errorf("doctor on ww built here:\n%v", r)
	}

	// The publishing job on a runner where an earlier job loaded a fake.
	loadAs(t, w.c, fake, ref)
	r = run(t, w.dir, m, "tbx", "prepare", "--push", "--sign-key", "ci/cosign.key", "ww")
	if r.Code != 0 || !strings.Contains(r.Err, "ww: building") || !strings.Contains(r.Err, "ww: signed") {
		t.Fatalf("prepare --push over a loaded fake: want ww built, pushed and signed:\n%v", r)
	}
	r = run(t, w.dir, w.fresh(t), "tbx", "run", "ww")
	if r.Code != 0 || strings.TrimSpace(r.Out) != "ww-fake" || !strings.Contains(r.Err, "ww: signature verified") {
		t.Errorf("what the publishing job pushed and signed: want the real ww:\n%v", r)
	}
}

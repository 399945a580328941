package testenv

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/tbx-dev/tbx/toolbox/internal/labels"
)

// Strangers are containers labelled as tbx labels them, but of other
// projects and of another user: a suite that makes them before it runs and
// finds them all after has removed nothing of anyone else's.
type Strangers struct {
	c     *client.Client
	image string
	ids   []string
}

// MakeStrangers creates the strangers on the Engine c: never started, so
// that a gc judging by label alone would take them for orphans.
func MakeStrangers(c *client.Client) (*Strangers, error) {
	ctx := context.Background()
	s := &Strangers{c: c, image: Name("tbx-test/stranger-") + ":1"}
	if err := importTiny(ctx, c, s.image); err != nil {
		return nil, err
	}
	uid := strconv.Itoa(os.Getuid())
	for _, l := range []map[string]string{
		{labels.Project: Name("stranger"), labels.Tool: "t", labels.Owner: uid, labels.Root: "000000000000", labels.Launch: "1@elsewhere", TestLabel: "1"},
		{labels.Project: Name("stranger"), labels.Tool: "t", labels.Owner: "54321", labels.Root: "000000000001", labels.Warm: "x", TestLabel: "1"},
	} {
		ct, err := c.ContainerCreate(ctx, &container.Config{Image: s.image, Cmd: []string{"/none"}, Labels: l}, nil, nil, nil, "")
		if err != nil {
			s.Remove()
			return nil, fmt.Errorf("creating a stranger container: %w", err)
		}
		s.ids = append(s.ids, ct.ID)
	}
	return s, nil
}

// Missing lists the strangers that are gone.
func (s *Strangers) Missing() []string {
	var out []string
	for _, id := range s.ids {
		if _, err := s.c.ContainerInspect(context.Background(), id); err != nil {
			out = append(out, id)
		}
	}
	return out
}

// Remove removes the strangers and their image.
func (s *Strangers) Remove() {
	for _, id := range s.ids {
		RemoveContainer(s.c, id)
	}
	RemoveImage(s.c, s.image)
}

func importTiny(ctx context.Context, c *client.Client, ref string) error {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	_ = tw.WriteHeader(&tar.Header{Name: "stranger", Mode: 0o644, Size: 1})
	_, _ = tw.Write([]byte("x"))
	_ = tw.Close()
	rc, err := c.ImageImport(ctx, image.ImportSource{Source: &buf, SourceName: "-"}, ref, image.ImportOptions{Changes: []string{"LABEL " + TestLabel + "=1"}})
	if err != nil {
		return fmt.Errorf("importing the strangers' image: %w", err)
	}
	_, _ = io.Copy(io.Discard, rc)
	return rc.Close()
}

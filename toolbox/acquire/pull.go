package acquire

import (
	"context"
	"fmt"

	"github.com/docker/docker/api/types/image"

	"github.com/tbx-dev/tbx/toolbox/progress"
)

// pull fetches ref from its registry with the user's credentials.
func (m *Manager) pull(ctx context.Context, ref, name string, mode progress.Mode) error {
	body, err := m.Engine.ImagePull(ctx, ref, image.PullOptions{RegistryAuth: registryAuth(ref)})
	if err != nil {
		return fmt.Errorf("pulling %s: %s", ref, oneLine(err.Error()))
	}
	defer body.Close()
	if err := progress.Pull(body, m.Out, mode, m.Fd, name); err != nil {
		return fmt.Errorf("pulling %s: %s", ref, oneLine(err.Error()))
	}
	return nil
}

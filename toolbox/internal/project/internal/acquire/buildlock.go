package acquire

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"

	"github.com/tbx-dev/tbx/toolbox/internal/statedir"
)

// buildLock keeps two tbx processes from building the same image at once: the
// second waits, then finds the image ready.
func buildLock(ctx context.Context, dir, key string) (unlock func(), err error) {
	// The user's alone: a directory another user made, or can write, is
	// refused at once rather than waited on.
	if err := statedir.Mkdir(dir); err != nil {
		return nil, fmt.Errorf("the build locks' directory %s: %w (it must be yours alone; set XDG_CACHE_HOME to a directory of yours)", dir, err)
	}
	fl := flock.New(filepath.Join(dir, key+".lock"))
	if _, err := fl.TryLockContext(ctx, 100*time.Millisecond); err != nil {
		return nil, fmt.Errorf("waiting for the build lock %s: %w", fl.Path(), err)
	}
	return func() { _ = fl.Unlock() }, nil
}

package acquire

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
)

// buildLock keeps two tbx processes from building the same image at once: the
// second waits, then finds the image ready.
func buildLock(ctx context.Context, dir, key string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("making lock directory: %w", err)
	}
	fl := flock.New(filepath.Join(dir, key+".lock"))
	if _, err := fl.TryLockContext(ctx, 100*time.Millisecond); err != nil {
		return nil, fmt.Errorf("waiting for the build lock %s: %w", fl.Path(), err)
	}
	return func() { _ = fl.Unlock() }, nil
}

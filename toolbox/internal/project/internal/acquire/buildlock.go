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
func buildLock(ctx context.Context, key string) (unlock func(), err error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	dir = filepath.Join(dir, "tbx", "locks")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("making lock directory: %w", err)
	}
	fl := flock.New(filepath.Join(dir, key+".lock"))
	if _, err := fl.TryLockContext(ctx, 100*time.Millisecond); err != nil {
		return nil, fmt.Errorf("waiting for the build lock %s: %w", fl.Path(), err)
	}
	return func() { _ = fl.Unlock() }, nil
}

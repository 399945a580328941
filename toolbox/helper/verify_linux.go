package helper

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// verifyMounts checks that each target is the file or directory tbx opened
// on the host: the Engine resolves a bind's source again when it mounts
// it, and a symbolic link swapped in at that moment would mount something
// else. A target the helper cannot reach (its user lacks the rights) is
// one its command cannot reach either, and passes.
func verifyMounts(expect []Mount) error {
	for _, m := range expect {
		var st unix.Stat_t
		err := unix.Stat(m.Target, &st)
		if errors.Is(err, os.ErrPermission) {
			continue
		}
		if err != nil {
			return fmt.Errorf("%s, which tbx mounted, is not there: %v", m.Target, err)
		}
		if uint64(st.Dev) != m.Dev || st.Ino != m.Ino {
			return fmt.Errorf("%s is not the host path tbx checked: it changed as the container started (a symbolic link swapped in?)", m.Target)
		}
	}
	return nil
}

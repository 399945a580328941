//go:build !windows

package commands

import (
	"bytes"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tbx-dev/tbx/toolbox/internal/labels"
	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// A signal sent at any point of tbx's start-up ends the run: before main
// routes signals the runtime's default kills tbx with it; until the command
// starts tbx exits 128+n having left nothing; after, the command gets it. No run completes its command with exit 0.
// TBX_SIGNAL_ROUNDS sets how many runs (30 here; 300 for a longer probe).
func TestSignalsAtStartUpAreNeverLost(t *testing.T) {
	c := testenv.Engine(t)
	dir, project := runProject(t, c, "")
	rounds := 30
	if n, err := strconv.Atoi(os.Getenv("TBX_SIGNAL_ROUNDS")); err == nil && n > 0 {
		rounds = n
	}
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	sigs := []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP}
	lost := 0
	for i := 0; i < rounds; i++ {
		sig := sigs[i%len(sigs)]
		delay := time.Duration(rng.Intn(300)) * time.Millisecond
		cmd := tbxProcess(dir, "run", "box-sh", "-c", "sleep 2; echo done")
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		_ = cmd.Process.Signal(sig)
		code := exitCode(cmd.Wait())
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == sig {
			code = 128 + int(sig) // killed before main could route it: what a shell reports as $?
		}
		if code != 128+int(sig) || strings.Contains(out.String(), "done") {
			lost++
			t.Errorf("%s after %v: exit %d, stdout %q, stderr %q; want %d and no output", sig, delay, code, out.String(), errb.String(), 128+int(sig))
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		left := testenv.LeftContainers(t, c, labels.Project+"="+project)
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("%d containers left after %d interrupted runs", len(left), rounds)
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("%d rounds, %d signals lost", rounds, lost)
}

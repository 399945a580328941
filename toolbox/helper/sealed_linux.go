package helper

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/moby/sys/atomicwriter"
)

// What PID 1 and the exec runs share, in Sealed, root's alone: what a
// command that is not root can neither read nor write.
const (
	runAs  = Sealed + "/run-as" // who the commands run as: a job's credentials, as PID 1 resolved them
	sweepQ = Sealed + "/sweep"  // an exec run's request that PID 1 sweep first: sweep/TOKEN, removed once done
)

// writeSealed writes v, as JSON, to the file path, whole or not at all.
func writeSealed(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if err := atomicwriter.WriteFile(path, b, 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// readRunAs is who an exec run's command runs as: the user PID 1
// resolved from its spec, never what the exec was told.
func readRunAs() (job, error) {
	var j job
	b, err := os.ReadFile(runAs)
	if err == nil {
		err = json.Unmarshal(b, &j)
	}
	if err != nil {
		return j, fmt.Errorf("the warm container's user: %w", err)
	}
	return j, nil
}

// sweepFirst has PID 1 end every process that no run owns before an exec
// run's command starts, as a direct run's does: what an earlier run left
// (a root command can kill its exec's helper) never sees this one. It
// waits for PID 1's answer up to a bound, then goes on: PID 1 sweeps on
// its own every poll too.
func sweepFirst(token string) {
	if err := os.MkdirAll(sweepQ, 0o700); err != nil {
		return
	}
	req := filepath.Join(sweepQ, token)
	if os.WriteFile(req, nil, 0o600) != nil {
		return
	}
	_ = syscall.Kill(1, syscall.SIGUSR1)
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if _, err := os.Stat(req); os.IsNotExist(err) {
			return
		}
	}
	_ = os.Remove(req)
}

// answerSweeps is PID 1's side of sweepFirst: the requests there are now
// are answered by a sweep that starts after them.
func answerSweeps(rp *reaper) {
	reqs, _ := filepath.Glob(filepath.Join(sweepQ, "*"))
	rp.sweep()
	for _, r := range reqs {
		_ = os.Remove(r)
	}
}

//go:build linux

package watch

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tbx-dev/tbx/toolbox/internal/route"
)

// watched starts a watcher, in this process, of the files of a new build
// context, and waits until it vouches for them.
func watched(t *testing.T) (state, ctx, key string, done <-chan int) {
	t.Helper()
	state, ctx = t.TempDir(), t.TempDir()
	paths := []string{ctx}
	for _, name := range []string{"Dockerfile", "a.sh", "b.sh"} {
		p := filepath.Join(ctx, name)
		if err := os.WriteFile(p, []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	if err := os.WriteFile(filepath.Join(ctx, "ignored.log"), nil, 0o644); err != nil {
		t.Fatal(err) // in the context, and not among the files the build is given
	}
	key = route.Digest(route.StampsOf(paths))
	if err := os.MkdirAll(Dir(state), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := writeList(state, key, paths); err != nil {
		t.Fatal(err)
	}
	exited := make(chan int, 1)
	go func() { exited <- Serve(state, key) }()
	for deadline := time.Now().Add(5 * time.Second); !Vouches(state, key); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the watcher never vouched for files it was started on")
		}
	}
	return state, ctx, key, exited
}

// A watcher vouches until a file it watches changes, and a change made
// before a call is always seen by that call, however soon it comes: the
// call's cookie is answered only after the events before it.
func TestAWatcherStopsVouchingAtOnceWhenAFileChanges(t *testing.T) {
	for _, change := range []struct {
		name string
		do   func(ctx string) error
	}{
		{"an append", func(ctx string) error {
			f, err := os.OpenFile(filepath.Join(ctx, "a.sh"), os.O_APPEND|os.O_WRONLY, 0)
			if err == nil {
				_, err = f.WriteString("x")
				err = errorsJoin(err, f.Close())
			}
			return err
		}},
		{"a save by rename", func(ctx string) error {
			p := filepath.Join(ctx, "b.sh")
			return errorsJoin(os.WriteFile(p+".new", []byte("new"), 0o644), os.Rename(p+".new", p))
		}},
		{"a new file", func(ctx string) error { return os.WriteFile(filepath.Join(ctx, "c.sh"), nil, 0o644) }},
		{"a mode", func(ctx string) error { return os.Chmod(filepath.Join(ctx, "Dockerfile"), 0o600) }},
	} {
		t.Run(change.name, func(t *testing.T) {
			state, ctx, key, exited := watched(t)
			if err := change.do(ctx); err != nil {
				t.Fatal(err)
			}
			if Vouches(state, key) {
				t.Errorf("the watcher vouched right after %s", change.name)
			}
			select {
			case <-exited:
			case <-time.After(5 * time.Second):
				t.Errorf("the watcher is still there after %s", change.name)
			}
			if Vouches(state, key) {
				t.Error("a watcher that left vouches")
			}
		})
	}
}

// What the build is not given may change: the watcher goes on vouching.
func TestAWatcherVouchesThroughChangesOfFilesItDoesNotKeep(t *testing.T) {
	state, ctx, key, _ := watched(t)
	if err := os.WriteFile(filepath.Join(ctx, "ignored.log"), []byte("a line\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if !Vouches(state, key) {
		t.Error("the watcher stopped vouching when a file it does not keep was written")
	}
}

func errorsJoin(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

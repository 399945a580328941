//go:build linux

package helper

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The helper runs in images of any libc, so it must be a static
// executable whatever CGO_ENABLED says: built with cgo on (the default
// where gcc is), it links nothing that needs it.
func TestTheHelperIsStaticWhateverCGO(t *testing.T) {
	out := filepath.Join(t.TempDir(), "tbx-warm")
	cmd := exec.Command("go", "build", "-o", out, "../../cmd/tbx-warm")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the helper: %v\n%s", err, b)
	}
	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatal("the helper built with CGO_ENABLED=1 has a program interpreter: it is dynamically linked")
		}
	}
}

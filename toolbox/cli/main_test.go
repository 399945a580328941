package cli

import (
	"os"
	"path/filepath"
	"testing"
)

// TestMain lets the recipes the tests write be theirs to run: they live
// under the temporary directory, or are the repository's own (the trust
// tests clear this). The tests
// here need no Engine and no binary; the commands' end-to-end tests are
// toolbox/e2e/commands.
func TestMain(m *testing.M) {
	repo, _ := filepath.Abs("../..")
	os.Setenv("TBX_TRUST", os.TempDir()+string(filepath.ListSeparator)+repo)
	os.Setenv("TBX_SPARE", "0")
	os.Exit(m.Run())
}

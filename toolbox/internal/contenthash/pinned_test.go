package contenthash

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// pinnedContext is a context whose hash was recorded before BuildKit and the
// hash cache came in: a recipe that builds today must keep its tag.
func pinnedContext(t *testing.T) Inputs {
	t.Helper()
	dir := t.TempDir()
	writeTree(t, dir, baseFiles)
	for _, p := range []string{"", "app", "cache"} {
		must(t, os.Chmod(filepath.Join(dir, p), 0o755))
	}
	for _, p := range []string{"Dockerfile", ".dockerignore", "app/main.sh", "build.log", "cache/a.bin"} {
		must(t, os.Chmod(filepath.Join(dir, p), 0o644))
	}
	return Inputs{Context: dir, Dockerfile: "Dockerfile", Args: map[string]string{"V": "1"}}
}

// pinnedHash is pinnedContext's hash under scheme tbx-image-v2 (content and
// bases hashed apart, so that trust can fingerprint the content alone).
const pinnedHash = "0e714812c971e30a783fa49b9dedcb073d0d294a49af2458fb79315a960cc4ee"

func TestHashOfTodaysRecipesIsUnchanged(t *testing.T) {
	in := pinnedContext(t)
	if got := hashOf(t, in, resolveAll); got != pinnedHash {
		t.Errorf("hash %s, want the pinned %s", got, pinnedHash)
	}
	in.CacheDir = t.TempDir()
	for i := 0; i < 2; i++ {
		if got := hashOf(t, in, resolveAll); got != pinnedHash {
			t.Errorf("with a hash cache, run %d: hash %s, want the pinned %s", i+1, got, pinnedHash)
		}
	}
}

func TestSecretIDsAndSSHEnterTheHash(t *testing.T) {
	in := pinnedContext(t)
	in.Secrets = []string{"token", "npmrc"}
	withSecrets := hashOf(t, in, resolveAll)
	in.Secrets = []string{"npmrc", "token"}
	if withSecrets == pinnedHash || hashOf(t, in, resolveAll) != withSecrets {
		t.Errorf("secret ids: %s (order must not matter, and must differ from %s)", withSecrets, pinnedHash)
	}
	in.Secrets = []string{"npmrc"}
	if hashOf(t, in, resolveAll) == withSecrets {
		t.Error("dropping a secret id kept the hash")
	}
	in.Secrets, in.SSH = nil, true
	if hashOf(t, in, resolveAll) == pinnedHash {
		t.Error("ssh = true kept the hash")
	}
}

// The ADD lines that fetch from elsewhere with nothing to pin what they
// get are listed with their line; a checksum, a commit, a local file or a
// COPY is not.
func TestUnpinnedRemoteSources(t *testing.T) {
	df := "FROM debian\n" +
		"ADD https://example.com/tool.txt /tool.txt\n" +
		"ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.com/pinned.txt /p\n" +
		"ADD https://github.com/acme/tool.git#v1.2 /src\n" +
		"ADD https://github.com/acme/tool.git#0123456789abcdef0123456789abcdef01234567 /src2\n" +
		"ADD local.txt /local\n" +
		"COPY https.txt /c\n" +
		"FROM debian AS two\n" +
		"ADD git@github.com:acme/tool.git /g\n"
	f, err := readDockerfile([]byte(df), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"line 2: ADD https://example.com/tool.txt", "line 4: ADD https://github.com/acme/tool.git#v1.2", "line 9: ADD git@github.com:acme/tool.git"}
	if !slices.Equal(f.remote, want) {
		t.Errorf("unpinned sources:\n got %q\nwant %q", f.remote, want)
	}
}

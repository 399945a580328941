package imagesig

import (
	"context"
	"crypto/elliptic"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/sigstore/pkg/cryptoutils"

	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// keyPair writes an encrypted cosign-style key pair as cosign.key and
// cosign.pub in a directory of its own.
func keyPair(t *testing.T, password string) (SigningKey, Key) {
	t.Helper()
	priv, pub, err := cryptoutils.GeneratePEMEncodedECDSAKeyPair(elliptic.P256(), func(bool) ([]byte, error) { return []byte(password), nil })
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for f, b := range map[string][]byte{"cosign.key": priv, "cosign.pub": pub} {
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	sk, err := LoadSigningKey(filepath.Join(dir, "cosign.key"), []byte(password))
	if err != nil {
		t.Fatal(err)
	}
	k, err := LoadSigner(filepath.Join(dir, "cosign.pub"), Identity{})
	if err != nil {
		t.Fatal(err)
	}
	if sk.Public.Fingerprint != k.Fingerprint {
		t.Fatalf("the private key's public half is %s, the public key %s", sk.Public.Fingerprint, k.Fingerprint)
	}
	return sk, k
}

// pushRandom pushes a random image to repo and returns its digest reference.
func pushRandom(t *testing.T, repo string) name.Digest {
	t.Helper()
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag(repo + ":latest")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	h, _ := img.Digest()
	return tag.Context().Digest(h.String())
}

// memRegistry serves a registry in memory (go-containerregistry's, which
// has the referrers API) until the test ends, and returns its host.
func memRegistry(t *testing.T) (host string, srv *httptest.Server) {
	t.Helper()
	srv = httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://"), srv
}

func TestSignThenVerify(t *testing.T) {
	ctx := context.Background()
	host, _ := memRegistry(t)
	signer, key := keyPair(t, "pw")
	_, other := keyPair(t, "other")

	az := pushRandom(t, host+"/proj/az")
	if added, err := Sign(ctx, az, signer); err != nil || !added {
		t.Fatal(added, err)
	}
	if added, err := Sign(ctx, az, signer); err != nil || added { // again: kept as it is
		t.Fatal(added, err)
	}
	if n := countSignatures(t, az); n != 1 {
		t.Errorf("after signing twice, %d signatures; want 1", n)
	}
	got, err := Verify(ctx, az, []Key{other, key}, nil)
	if err != nil || got.Fingerprint != key.Fingerprint {
		t.Fatalf("Verify = %v, %v; want the key", got.Path, err)
	}

	t.Run("unsigned", func(t *testing.T) {
		_, err := Verify(ctx, pushRandom(t, host+"/proj/jq"), []Key{key}, nil)
		if !errors.Is(err, ErrUnsigned) {
			t.Errorf("got %v, want %v", err, ErrUnsigned)
		}
	})
	t.Run("another key", func(t *testing.T) {
		_, err := Verify(ctx, az, []Key{other}, nil)
		if !errors.Is(err, ErrOtherKey) {
			t.Errorf("got %v, want %v", err, ErrOtherKey)
		}
	})
	t.Run("signature copied onto another digest", func(t *testing.T) {
		jq := pushRandom(t, host+"/proj/az")
		copySignatures(t, az, jq)
		_, err := Verify(ctx, jq, []Key{key}, nil)
		if !errors.Is(err, ErrOtherDigest) {
			t.Errorf("got %v, want %v", err, ErrOtherDigest)
		}
	})
	t.Run("image copied to another repository", func(t *testing.T) {
		moved, err := name.NewDigest(host + "/proj/evil@" + az.DigestStr())
		if err != nil {
			t.Fatal(err)
		}
		testenv.CopyImage(t, az, moved)
		copySignatures(t, az, moved)
		_, err = Verify(ctx, moved, []Key{key}, nil)
		if !errors.Is(err, ErrOtherRepository) {
			t.Errorf("got %v, want %v", err, ErrOtherRepository)
		}
		// Where the repository it was signed in is declared an alias (the
		// copy is a mirror's), the same signature counts.
		if _, err := Verify(ctx, moved, []Key{key}, []string{az.Context().Name()}); err != nil {
			t.Errorf("a copy whose signature names an alias of its repository: %v", err)
		}
	})
	t.Run("registry gone", func(t *testing.T) {
		deadHost, dead := memRegistry(t)
		d := pushRandom(t, deadHost+"/proj/az")
		dead.Close()
		_, err := Verify(ctx, d, []Key{key}, nil)
		var re *RegistryError
		if !errors.As(err, &re) {
			t.Errorf("got %v, want a RegistryError", err)
		}
	})
}

func TestKeysSayWhatIsWrong(t *testing.T) {
	dir := t.TempDir()
	signer, _ := keyPair(t, "right")
	if _, err := LoadSigningKey(signer.Path, []byte("wrong")); err == nil || !strings.Contains(err.Error(), "COSIGN_PASSWORD") {
		t.Errorf("a wrong password: %v", err)
	}
	junk := filepath.Join(dir, "junk.pub")
	os.WriteFile(junk, []byte("not a key"), 0o600)
	if _, err := LoadSigner(junk, Identity{}); err == nil || !strings.Contains(err.Error(), "junk.pub: not a PEM public key") {
		t.Errorf("junk: %v", err)
	}
	if _, err := LoadSigner(filepath.Join(dir, "none.pub"), Identity{}); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing: %v", err)
	}
}

func countSignatures(t *testing.T, d name.Digest) int {
	t.Helper()
	tag, _ := SignatureTag(d)
	img, err := remote.Image(tag)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := img.Manifest()
	return len(m.Layers)
}

// copySignatures puts the signatures of from where cosign would look for
// those of to.
func copySignatures(t *testing.T, from, to name.Digest) {
	t.Helper()
	src, _ := SignatureTag(from)
	dst, _ := SignatureTag(to)
	testenv.CopyImage(t, src, dst)
}

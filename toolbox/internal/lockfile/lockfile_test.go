package lockfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const d1, d2 = "sha256:1111111111111111111111111111111111111111111111111111111111111111", "sha256:2222222222222222222222222222222222222222222222222222222222222222"

func sample() *Lock {
	l := New()
	l.Bases["debian:bookworm-slim"] = Base{Digest: d1, Image: "127.0.0.1:5000/base/debian@" + d1, ID: "sha256:local"}
	l.Bases["alpine:3"] = Base{Digest: d2, Image: "docker.io/library/alpine@" + d2}
	l.Tools["kubectl"] = Tool{Hash: "ab12", Digest: d2}
	l.Tools["az"] = Tool{Hash: "cd34", Digest: d1}
	l.Tools["jq"] = Tool{Ref: "jq:1.7", Digest: d2, Image: "docker.io/library/jq@" + d2}
	return l
}

func TestWriteIsSortedAndRoundTrips(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	if err := Write(path, sample()); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	text := string(b)
	if i, j, k := strings.Index(text, "[tools.az]"), strings.Index(text, "[tools.jq]"), strings.Index(text, "[tools.kubectl]"); !(i < j && j < k) || !strings.Contains(text, "version = 2\n") {
		t.Errorf("not sorted or no version:\n%s", text)
	}
	l, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(path+"2", l); err != nil {
		t.Fatal(err)
	}
	if b2, _ := os.ReadFile(path + "2"); string(b2) != text {
		t.Errorf("read and written again, it differs:\n%s\n---\n%s", text, b2)
	}
	if l.Tools["jq"].Image != "docker.io/library/jq@"+d2 || l.Bases["debian:bookworm-slim"].Digest != d1 || l.Bases["debian:bookworm-slim"].ID != "sha256:local" || l.Bases["alpine:3"].ID != "" {
		t.Errorf("read back: %+v", l)
	}
}

// A lock of format 1, written before bases had ids, reads as it was.
func TestReadsFormatOne(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	src := "version = 1\n[bases.\"debian:bookworm-slim\"]\ndigest = \"" + d1 + "\"\nimage = \"r/base/debian@" + d1 + "\"\n[tools.az]\nhash = \"cd34\"\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := Read(path)
	if err != nil || l.Bases["debian:bookworm-slim"].Digest != d1 || l.Bases["debian:bookworm-slim"].ID != "" || l.Tools["az"].Hash != "cd34" {
		t.Errorf("format 1: %+v, %v", l, err)
	}
}

func TestReadErrors(t *testing.T) {
	dir := t.TempDir()
	if l, err := Read(filepath.Join(dir, "none")); l != nil || err != nil {
		t.Errorf("a missing lock: %v %v", l, err)
	}
	for name, src := range map[string]string{
		"syntax":  "version = \n",
		"version": "version = 9\n",
		"unknown": "version = 1\n[tools.az]\nhsh = \"x\"\n",
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Read(p)
		if err == nil || !strings.HasPrefix(err.Error(), p+": ") || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "tbx lock") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// A lock that requires signers is format 3 and keeps them; one without
// stays format 2, readable by the tbx before signers.
func TestSignersAreFormatThree(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	l := sample()
	l.Tools["az"] = Tool{Hash: "cd34", Digest: d1, Signers: []string{d2, d1}}
	if err := Write(path, l); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), "version = 3\n") || !strings.Contains(string(b), `signers = ["`+d2+`", "`+d1+`"]`) {
		t.Errorf("want version 3 with the signers:\n%s", b)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if s := got.Tools["az"].Signers; len(s) != 2 || s[0] != d2 {
		t.Errorf("signers read back: %v", s)
	}
}

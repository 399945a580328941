package trust

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A record is the trust of the recipe it names, in this tbx's format: a
// record copied onto another recipe's name, or of an older format, trusts
// nothing.
func TestARecordTrustsOnlyItsOwnRecipe(t *testing.T) {
	s := &Store{Dir: filepath.Join(t.TempDir(), "trust")}
	if err := s.Allow(snap()); err != nil {
		t.Fatal(err)
	}
	other := snap()
	other.Recipe = "/q/toolbox.toml"
	b, err := os.ReadFile(s.RecordFile(snap().Recipe))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.RecordFile(other.Recipe), b, 0o600); err != nil {
		t.Fatal(err)
	}
	if v := check(t, s, other); v.Status != Untrusted {
		t.Errorf("another recipe's record, copied: %v", v.Status)
	}
	var rec map[string]any
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	rec["version"] = 1
	old, _ := json.Marshal(rec)
	if err := os.WriteFile(s.RecordFile(snap().Recipe), old, 0o600); err != nil {
		t.Fatal(err)
	}
	if v := check(t, s, snap()); v.Status != Untrusted {
		t.Errorf("a record of an older format: %v", v.Status)
	}
}

// Manifests that cannot be read (of an older tbx, or damaged) cost only
// the file-by-file detail: the change is still said, by tool.
func TestUnreadableManifestsStillSayTheTool(t *testing.T) {
	s := &Store{Dir: filepath.Join(t.TempDir(), "trust")}
	was := snap()
	was.Files = map[string]map[string]string{"box": {"a": "1"}}
	if err := s.Allow(was); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.RecordFile(was.Recipe)+filesSuffix, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	now := snap()
	now.Contexts["box"] = "c2"
	now.Files = map[string]map[string]string{"box": {"a": "2"}}
	v := check(t, s, now)
	if v.Status != Changed || len(v.Changes) != 1 || !strings.Contains(v.Changes[0], "box") || strings.Contains(v.Changes[0], "a changed") {
		t.Errorf("a context changed, its manifest unreadable: %v %q", v.Status, v.Changes)
	}
}

// Only Trusted and Covered may act.
func TestOnlyTrustedAndCoveredMayAct(t *testing.T) {
	for s, ok := range map[Status]bool{Untrusted: false, Changed: false, Redirected: false, Trusted: true, Covered: true} {
		if s.OK() != ok {
			t.Errorf("status %d: OK = %v", s, s.OK())
		}
	}
}

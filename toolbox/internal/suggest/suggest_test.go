package suggest

import "testing"

func TestNearest(t *testing.T) {
	names := []string{"build", "doctor", "ls", "run", "trust"}
	for typed, want := range map[string]string{
		"rnu": "run", "biuld": "build", "Doctr": "doctor", "lss": "ls",
		"frobnicate": "", "x": "",
	} {
		if got := Nearest(typed, names); got != want {
			t.Errorf("Nearest(%q) = %q, want %q", typed, got, want)
		}
	}
}

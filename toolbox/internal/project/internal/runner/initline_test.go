package runner

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/tbx-dev/tbx/toolbox/internal/exit"
)

// tini's line for a command it could not start becomes tbx's own; every
// other output passes through whole, whatever the exit.
func TestTheInitsLineBecomesTbxs(t *testing.T) {
	cases := []struct {
		name   string
		writes []string
		status error
		out    string // what reached the stream
		err    string // what the run returns ("" for the status itself)
	}{
		{"missing", []string{"[FATAL tini (7)] exec nosuchcmd failed: No such file or directory\n"}, exit.Status(127), "",
			`command not found in the image: exec: "nosuchcmd": No such file or directory`},
		{"in pieces, on a terminal", []string{"[FATAL ti", "ni (7)] exec /etc/passwd failed: Permission denied\r\n"}, exit.Status(126), "",
			`command cannot be invoked: exec: "/etc/passwd": Permission denied`},
		{"the command's own output", []string{"hello\n", "[FATAL tini (7)] exec x failed: y\n"}, exit.Status(127),
			"hello\n[FATAL tini (7)] exec x failed: y\n", ""},
		{"the same words, then more", []string{"[FATAL tini (7)] exec x failed: y\n", "more\n"}, exit.Status(127),
			"[FATAL tini (7)] exec x failed: y\nmore\n", ""},
		{"the words of another command", []string{"[FATAL tini (7)] exec x failed: y\n"}, exit.Status(127),
			"[FATAL tini (7)] exec x failed: y\n", ""},
		{"the same words, another exit", []string{"[FATAL tini (7)] exec x failed: y\n"}, exit.Status(1),
			"[FATAL tini (7)] exec x failed: y\n", ""},
		{"a prefix, then the end", []string{"[FATAL"}, nil, "[FATAL", ""},
	}
	for _, c := range cases {
		var out bytes.Buffer
		l := &initLine{w: &out, command: "nosuchcmd"}
		if strings.Contains(c.name, "terminal") {
			l.command = "/etc/passwd"
		}
		for _, w := range c.writes {
			if n, err := l.Write([]byte(w)); n != len(w) || err != nil {
				t.Fatalf("%s: write %d, %v", c.name, n, err)
			}
		}
		err := l.finish(c.status)
		if out.String() != c.out {
			t.Errorf("%s: the stream got %q, want %q", c.name, out.String(), c.out)
		}
		switch {
		case c.err == "" && !errors.Is(err, c.status) && err != c.status:
			t.Errorf("%s: returned %v, want the status %v", c.name, err, c.status)
		case c.err != "" && (err == nil || err.Error() != c.err || exit.Code(err) != exit.Code(c.status)):
			t.Errorf("%s: returned %v (exit %d), want %q", c.name, err, exit.Code(err), c.err)
		}
	}
}

package recipe

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
)

// Error is a problem in a recipe, at a position and, where it has one, a key.
type Error struct {
	File      string
	Line, Col int
	Key       string // dotted key path; empty for syntax errors
	Msg       string
}

func (e *Error) Error() string {
	if e.Key == "" {
		return oneLine(fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg))
	}
	return oneLine(fmt.Sprintf("%s:%d:%d: %s: %s", e.File, e.Line, e.Col, e.Key, e.Msg))
}

// oneLine escapes the control characters that a recipe's own text (a key, a
// path, what the TOML decoder quotes of it) can bring into a message.
func oneLine(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// parser builds a Recipe from its checked document.
type parser struct {
	*document
	dir    string // project root
	engine string // the Engine's socket, which no volume may name
	home   string // what ~ names
}

// Options are what a recipe is read for, from outside it.
type Options struct {
	// EngineSocket is the host path of the Engine's unix socket ("" for an
	// Engine not on one): a volume of that socket is refused, as of any
	// docker.sock.
	EngineSocket string
	// Home is the caller's home directory, which ~ names in host paths.
	Home string
	// Cwd is the working directory: a relative recipe path is read from
	// it, and errors name the recipe relative to it.
	Cwd string
}

// Parse decodes and validates src, the recipe at the absolute path abs;
// errors name the file as display.
func Parse(abs, display string, src []byte, o Options) (*Recipe, error) {
	doc, err := decode(display, string(src))
	if err != nil {
		return nil, err
	}
	p := &parser{document: doc, dir: filepath.Dir(abs), engine: o.EngineSocket, home: o.Home}
	r, err := p.build()
	if err != nil {
		return nil, err
	}
	r.Path = abs
	sum := sha256.Sum256(src)
	r.Sum = hex.EncodeToString(sum[:])
	r.Keys = map[string]string{}
	flatten(r.Keys, nil, p.values)
	return r, nil
}

// flatten records a digest of the value of every key below path that is not
// a table.
func flatten(out map[string]string, path []string, v any) {
	if m, ok := v.(map[string]any); ok {
		for k, sub := range m {
			flatten(out, append(path[:len(path):len(path)], k), sub)
		}
		return
	}
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	out[strings.Join(path, ".")] = hex.EncodeToString(sum[:8])
}

// lookup returns the decoded value at path, or nil.
func lookup(doc map[string]any, path []string) any {
	var v any = doc
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// lineCol turns a byte offset into a 1-based line and column.
func lineCol(offset int, src string) (int, int) {
	offset = min(max(offset, 0), len(src))
	before := src[:offset]
	line := strings.Count(before, "\n") + 1
	return line, offset - strings.LastIndex(before, "\n")
}

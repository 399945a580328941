package recipe

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
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

// parser holds what every step of reading one recipe needs.
type parser struct {
	file   string // as errors name it
	dir    string // project root
	engine string // the Engine's socket, which no volume may name
	loc    locator
	doc    map[string]any
	src    string
}

// Parse decodes and validates src, the recipe at the absolute path abs,
// for an Engine at the default socket; errors name the file as display.
func Parse(abs, display string, src []byte) (*Recipe, error) {
	return parseFor(abs, display, src, DefaultEngineSocket)
}

func parseFor(abs, display string, src []byte, engineSocket string) (*Recipe, error) {
	p := &parser{file: display, dir: filepath.Dir(abs), engine: engineSocket, loc: locate(string(src)), src: string(src)}
	if err := p.checkText(); err != nil {
		return nil, err
	}
	md, err := toml.Decode(string(src), &p.doc)
	if err != nil {
		return nil, p.syntaxError(err)
	}
	for _, key := range md.Keys() {
		if err := p.checkKey(key); err != nil {
			return nil, err
		}
	}
	r, err := p.build()
	if err != nil {
		return nil, err
	}
	r.Path = abs
	sum := sha256.Sum256(src)
	r.Sum = hex.EncodeToString(sum[:])
	r.Keys = map[string]string{}
	flatten(r.Keys, nil, p.doc)
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

// checkText rejects what is not a recipe before the TOML decoder sees it:
// too big, or not UTF-8 text.
func (p *parser) checkText() error {
	if len(p.src) > MaxSize {
		return &Error{File: p.file, Line: 1, Col: 1, Msg: fmt.Sprintf("%d bytes; a recipe is at most %d (is it the right file?)", len(p.src), MaxSize)}
	}
	if utf8.ValidString(p.src) {
		return nil
	}
	at := 0
	for at < len(p.src) {
		r, n := utf8.DecodeRuneInString(p.src[at:])
		if r == utf8.RuneError && n <= 1 {
			break
		}
		at += n
	}
	line, col := lineCol(at, p.src)
	return &Error{File: p.file, Line: line, Col: col, Msg: fmt.Sprintf("not UTF-8 text (byte 0x%02x); a recipe is TOML, which is UTF-8", p.src[at])}
}

func (p *parser) syntaxError(err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		line, col := lineCol(pe.Position.Start, p.src)
		return &Error{File: p.file, Line: line, Col: col, Msg: "invalid TOML: " + pe.Message}
	}
	return &Error{File: p.file, Line: 1, Col: 1, Msg: "invalid TOML: " + strings.TrimPrefix(err.Error(), "toml: ")}
}

// errAt makes an Error for the key at path.
func (p *parser) errAt(path []string, format string, args ...any) error {
	at := p.loc.at(path)
	return &Error{File: p.file, Line: at.Line, Col: at.Col, Key: strings.Join(path, "."), Msg: fmt.Sprintf(format, args...)}
}

// checkKey rejects a key the schema does not know, or a value of the wrong type.
func (p *parser) checkKey(key toml.Key) error {
	path := []string(key)
	// An implicit table such as [tool.az] lists only its full key.
	for i := 1; i < len(path); i++ {
		if k, valid := expect(path[:i]); k == 0 {
			return p.unknownKey(path[:i], valid)
		}
	}
	k, valid := expect(path)
	if k == 0 {
		return p.unknownKey(path, valid)
	}
	v := lookup(p.doc, path)
	if !fits(k, v) {
		return p.errAt(path, "must be %s, not %s", kindNames[k], typeName(v))
	}
	return nil
}

func (p *parser) unknownKey(path []string, valid []string) error {
	where := "at the top level"
	if len(path) > 1 {
		where = "in [" + strings.Join(path[:len(path)-1], ".") + "]"
	}
	msg := "unknown key " + where
	if s := suggest(path[len(path)-1], valid); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	} else if len(valid) > 0 {
		msg += "; valid keys: " + strings.Join(valid, ", ")
	}
	return p.errAt(path, "%s", msg)
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

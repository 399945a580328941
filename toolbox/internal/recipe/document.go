package recipe

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/BurntSushi/toml"

	"github.com/tbx-dev/tbx/toolbox/internal/suggest"
)

// document is a recipe's text, decoded and type-checked against the
// schema: the value at each key path, where each key is written, and
// errors that name the file, the line and the key.
type document struct {
	file   string // as errors name it
	src    string
	loc    locator
	values map[string]any
}

// decode checks src as recipe text, decodes it, and checks every key it
// sets against the schema.
func decode(file, src string) (*document, error) {
	d := &document{file: file, src: src, loc: locate(src)}
	if err := d.checkText(); err != nil {
		return nil, err
	}
	md, err := toml.Decode(src, &d.values)
	if err != nil {
		return nil, d.syntaxError(err)
	}
	for _, key := range md.Keys() {
		if err := d.checkKey(key); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// value is the decoded value of key in the table at, or nil.
func (d *document) value(at []string, key string) any {
	return lookup(d.values, keyPath(at, key))
}

// checkText rejects what is not a recipe before the TOML decoder sees it:
// too big, or not UTF-8 text.
func (d *document) checkText() error {
	if len(d.src) > MaxSize {
		return &Error{File: d.file, Line: 1, Col: 1, Msg: fmt.Sprintf("%d bytes; a recipe is at most %d (is it the right file?)", len(d.src), MaxSize)}
	}
	if utf8.ValidString(d.src) {
		return nil
	}
	at := 0
	for at < len(d.src) {
		r, n := utf8.DecodeRuneInString(d.src[at:])
		if r == utf8.RuneError && n <= 1 {
			break
		}
		at += n
	}
	line, col := lineCol(at, d.src)
	return &Error{File: d.file, Line: line, Col: col, Msg: fmt.Sprintf("not UTF-8 text (byte 0x%02x); a recipe is TOML, which is UTF-8", d.src[at])}
}

func (d *document) syntaxError(err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		line, col := lineCol(pe.Position.Start, d.src)
		return &Error{File: d.file, Line: line, Col: col, Msg: "invalid TOML: " + pe.Message}
	}
	return &Error{File: d.file, Line: 1, Col: 1, Msg: "invalid TOML: " + strings.TrimPrefix(err.Error(), "toml: ")}
}

// errAt makes an Error for the key at path.
func (d *document) errAt(path []string, format string, args ...any) error {
	at := d.loc.at(path)
	return &Error{File: d.file, Line: at.Line, Col: at.Col, Key: strings.Join(path, "."), Msg: fmt.Sprintf(format, args...)}
}

// checkKey rejects a key the schema does not know, or a value of the wrong type.
func (d *document) checkKey(key toml.Key) error {
	path := []string(key)
	// An implicit table such as [tool.az] lists only its full key.
	for i := 1; i < len(path); i++ {
		if k, valid := expect(path[:i]); k == 0 {
			return d.unknownKey(path[:i], valid)
		}
	}
	k, valid := expect(path)
	if k == 0 {
		return d.unknownKey(path, valid)
	}
	v := lookup(d.values, path)
	if !fits(k, v) {
		return d.errAt(path, "must be %s, not %s", kindNames[k], typeName(v))
	}
	return nil
}

func (d *document) unknownKey(path []string, valid []string) error {
	where := "at the top level"
	if len(path) > 1 {
		where = "in [" + strings.Join(path[:len(path)-1], ".") + "]"
	}
	msg := "unknown key " + where
	if s := suggest.Nearest(path[len(path)-1], valid); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	} else if len(valid) > 0 {
		msg += "; valid keys: " + strings.Join(valid, ", ")
	}
	return d.errAt(path, "%s", msg)
}

// inFileOrder sorts the keys of the table at key by where they are written.
func (d *document) inFileOrder(key string, table map[string]any) []string {
	names := make([]string, 0, len(table))
	for name := range table {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := d.loc.at([]string{key, names[i]}), d.loc.at([]string{key, names[j]})
		if a != b {
			return a.Line < b.Line || a.Line == b.Line && a.Col < b.Col
		}
		return names[i] < names[j]
	})
	return names
}

// str reads an optional string key below table.
func (d *document) str(table []string, key string) string {
	s, _ := d.value(table, key).(string)
	return s
}

func (d *document) has(table []string, key string) bool {
	return d.value(table, key) != nil
}

// keyPath is table's path with key added, never sharing table's array.
func keyPath(table []string, key string) []string {
	return append(table[:len(table):len(table)], key)
}

// keyOr returns key when the table sets it, else fallback.
func (d *document) keyOr(at []string, key, fallback string) string {
	if d.has(at, key) {
		return key
	}
	return fallback
}

func (d *document) flag(at []string, key string) *bool {
	if b, ok := d.value(at, key).(bool); ok {
		return &b
	}
	return nil
}

// strings reads a string or list of strings.
func (d *document) strings(at []string, key string) []string {
	switch v := d.value(at, key).(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, len(v))
		for i, s := range v {
			out[i] = s.(string)
		}
		return out
	}
	return nil
}

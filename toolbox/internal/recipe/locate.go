package recipe

import (
	"strings"
)

// pos is a 1-based line and column in the recipe.
type pos struct{ Line, Col int }

// locator finds where each key of a TOML document is written. The TOML
// decoder keeps key positions to itself, so this scans the lines: table
// headers, dotted keys and one-line inline tables, skipping multi-line
// strings. Anything it cannot place falls back to its nearest known parent.
type locator map[string]pos

func locate(src string) locator {
	l := locator{}
	var prefix []string
	inMultiline := ""
	for i, line := range strings.Split(src, "\n") {
		if inMultiline != "" {
			if strings.Count(line, inMultiline)%2 == 1 {
				inMultiline = ""
			}
			continue
		}
		trimmed := strings.TrimLeft(line, " \t")
		col := len(line) - len(trimmed) + 1
		switch {
		case trimmed == "" || trimmed[0] == '#':
			continue
		case trimmed[0] == '[':
			name := strings.TrimLeft(trimmed, "[")
			keys, _ := parseKey(name)
			prefix = keys
			l.add(prefix, i+1, col)
			continue
		}
		keys, rest := parseKey(trimmed)
		rest = strings.TrimLeft(rest, " \t")
		if len(keys) == 0 || !strings.HasPrefix(rest, "=") {
			continue
		}
		full := append(append([]string{}, prefix...), keys...)
		l.add(full, i+1, col)
		value := strings.TrimLeft(rest[1:], " \t")
		valueCol := len(line) - len(value) + 1
		switch {
		case strings.HasPrefix(value, "{"):
			l.inline(full, value, i+1, valueCol)
		case strings.HasPrefix(value, `"""`) && strings.Count(value, `"""`) == 1:
			inMultiline = `"""`
		case strings.HasPrefix(value, `'''`) && strings.Count(value, `'''`) == 1:
			inMultiline = `'''`
		}
	}
	return l
}

// inline records the keys of a one-line inline table `{ a = 1, b = 2 }`.
func (l locator) inline(prefix []string, value string, line, col int) {
	i := 1
	for i < len(value) {
		rest := strings.TrimLeft(value[i:], " \t,")
		i = len(value) - len(rest)
		keys, after := parseKey(rest)
		if len(keys) == 0 {
			return
		}
		l.add(append(append([]string{}, prefix...), keys...), line, col+i)
		// Skip the value: up to the next comma outside quotes.
		j := len(value) - len(after)
		inQuote := byte(0)
		for ; j < len(value); j++ {
			c := value[j]
			if inQuote != 0 {
				if c == inQuote {
					inQuote = 0
				}
				continue
			}
			if c == '"' || c == '\'' {
				inQuote = c
			}
			if c == ',' || c == '}' {
				break
			}
		}
		i = j + 1
	}
}

// add records where keys and, unless seen before, each of its parents are.
func (l locator) add(keys []string, line, col int) {
	for n := 1; n <= len(keys); n++ {
		k := strings.Join(keys[:n], ".")
		if _, seen := l[k]; !seen {
			l[k] = pos{line, col}
		}
	}
}

// at returns where key is written, or where its nearest parent is.
func (l locator) at(key []string) pos {
	for n := len(key); n > 0; n-- {
		if p, ok := l[strings.Join(key[:n], ".")]; ok {
			return p
		}
	}
	return pos{1, 1}
}

// parseKey reads a dotted key (bare or quoted parts) from the start of s and
// returns its parts and the rest of s.
func parseKey(s string) ([]string, string) {
	var keys []string
	for {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			return keys, s
		}
		var part string
		switch s[0] {
		case '"', '\'':
			end := strings.IndexByte(s[1:], s[0])
			if end < 0 {
				return nil, s
			}
			part, s = s[1:end+1], s[end+2:]
		default:
			n := 0
			for n < len(s) && isBare(s[n]) {
				n++
			}
			if n == 0 {
				return keys, s
			}
			part, s = s[:n], s[n:]
		}
		keys = append(keys, part)
		s = strings.TrimLeft(s, " \t")
		if !strings.HasPrefix(s, ".") {
			return keys, s
		}
		s = s[1:]
	}
}

func isBare(c byte) bool {
	return c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

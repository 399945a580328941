package recipe

import (
	"fmt"
	"sort"
)

// kind is the shape a key's value must have.
type kind int

const (
	kString kind = iota + 1 // 0 is no kind: an unknown key
	kStrings
	kStringOrStrings
	kBool
	kInt
	kNumber
	kSize
	kTable
	kStringTable
	kBoolOrStrings
)

var kindNames = map[kind]string{
	kString:          "a string",
	kStrings:         "a list of strings",
	kStringOrStrings: "a string or a list of strings",
	kBool:            "true or false",
	kInt:             "an integer",
	kNumber:          "a number",
	kSize:            `a size such as "512m" or "2g"`,
	kTable:           "a table",
	kStringTable:     "a table of strings",
	kBoolOrStrings:   "true, false or a list of strings",
}

// runKeys are shared by [defaults] and every [tools.NAME].
var runKeys = map[string]kind{
	"env":        kStrings,
	"volumes":    kStrings,
	"workdir":    kString,
	"entrypoint": kStringOrStrings,
	"network":    kString,
	"user":       kString,
	"ssh_agent":  kBool,
	"docker":     kBool,
	"warm":       kString,
	"spare":      kString,
	"memory":     kSize,
	"cpus":       kNumber,
	"pids":       kInt,
	"read_only":  kBool,
	"init":       kBool,
	"proxy":      kBool,
	"ca_bundle":  kString,
	"home":       kStrings,
	"host_paths": kString,
	"path_env":   kStrings,
}

var toolOnlyKeys = map[string]kind{
	"description": kString,
	"image":       kString,
	"build":       kString,
	"dockerfile":  kString,
	"target":      kString,
	"args":        kStringTable,
	"secrets":     kStrings,
	"ssh":         kBoolOrStrings,
	// What the build may do beyond its sandbox, as buildx's --allow.
	"entitlements": kStrings,
	"version":      kString,
	"commands":     kStrings,
	"signers":      kStrings,
	// Who signs keyless, beside a Sigstore trusted root among signers.
	"certificate_identity":    kString,
	"certificate_oidc_issuer": kString,
}

var toolboxKeys = map[string]kind{
	"name":                    kString,
	"description":             kString,
	"registry":                kString,
	"mirrors":                 kStrings,
	"signers":                 kStrings,
	"certificate_identity":    kString,
	"certificate_oidc_issuer": kString,
}

var topKeys = map[string]kind{
	"toolbox":  kTable,
	"defaults": kTable,
	"tools":    kTable,
}

var toolKeys = func() map[string]kind {
	m := map[string]kind{}
	for k, v := range runKeys {
		m[k] = v
	}
	for k, v := range toolOnlyKeys {
		m[k] = v
	}
	return m
}()

// expect returns the kind the key at path must have, or the valid keys at
// that level when path names no known key.
func expect(path []string) (kind, []string) {
	var level map[string]kind
	switch {
	case len(path) == 1:
		level = topKeys
	case path[0] == "toolbox" && len(path) == 2:
		level = toolboxKeys
	case path[0] == "defaults" && len(path) == 2:
		level = runKeys
	case path[0] == "tools" && len(path) == 2:
		return kTable, nil
	case path[0] == "tools" && len(path) == 3:
		level = toolKeys
	case path[0] == "tools" && len(path) == 4 && path[2] == "args":
		return kString, nil
	default:
		return 0, nil
	}
	if k, ok := level[path[len(path)-1]]; ok {
		return k, nil
	}
	return 0, keysOf(level)
}

func keysOf(m map[string]kind) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// fits reports whether v, as the TOML decoder gives it, has kind k.
func fits(k kind, v any) bool {
	switch k {
	case kString:
		_, ok := v.(string)
		return ok
	case kStrings:
		return allStrings(v)
	case kStringOrStrings:
		_, ok := v.(string)
		return ok || allStrings(v)
	case kBool:
		_, ok := v.(bool)
		return ok
	case kBoolOrStrings:
		_, ok := v.(bool)
		return ok || allStrings(v)
	case kInt:
		_, ok := v.(int64)
		return ok
	case kNumber:
		switch v.(type) {
		case int64, float64:
			return true
		}
	case kSize:
		switch v.(type) {
		case int64, string:
			return true
		}
	case kTable, kStringTable:
		_, ok := v.(map[string]any)
		return ok
	}
	return false
}

func allStrings(v any) bool {
	list, ok := v.([]any)
	if !ok {
		return false
	}
	for _, e := range list {
		if _, ok := e.(string); !ok {
			return false
		}
	}
	return true
}

// typeName names a decoded TOML value's type for messages.
func typeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case []map[string]any:
		return "an array of tables"
	case map[string]any:
		return "a table"
	}
	return fmt.Sprintf("a %T", v)
}

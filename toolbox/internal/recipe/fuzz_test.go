package recipe

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse feeds the parser and validator arbitrary recipes: whatever the
// input, Parse returns a recipe or one *Error on one line, and never panics.
// The seed corpus is testdata/fuzz/FuzzParse plus the recipes below.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		valid,
		"[toolbox]\nname = \"p\"\n[tools.az]\nbuild = \"img\"\nsecrets = [\"id=t,env=T\"]\nssh = true\n",
		"[toolbox]\nname = \"p\"\nregistry = \"127.0.0.1:5000/team\"\n[tools.jq]\nimage = \"jq:1.7\"\n",
		"[toolbox]\nname = \"p\"\n[defaults]\nenv = [\"AZURE_*\", \"A=b\"]\nvolumes = [\"./x:/x:ro\", \"data:/data\"]\n[tools.jq]\nimage = \"jq@sha256:" + strings.Repeat("a", 64) + "\"\n",
		"[toolbox]\nname = \"p\"\n[tools]\naz.build = \"img\"\naz.args = { A = \"1\", B = { C = \"2\" } }\n",
		"[[tools]]\n",
		"tools = 1\n",
		"",
	} {
		f.Add(seed)
	}
	abs, err := filepath.Abs("testdata/ctx/toolbox.toml")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, src string) {
		r, err := Parse(abs, "toolbox.toml", []byte(src), testOptions)
		if err == nil {
			if r == nil || len(r.Tools) == 0 || r.Name == "" {
				t.Fatalf("no error, but recipe %+v", r)
			}
			return
		}
		var re *Error
		if !errors.As(err, &re) {
			t.Fatalf("error %T is not a *recipe.Error: %v", err, err)
		}
		if strings.ContainsAny(err.Error(), "\n\r") {
			t.Fatalf("the error spans lines: %q", err.Error())
		}
		if re.Line < 1 || re.Col < 1 {
			t.Fatalf("the error has no position: %+v", re)
		}
	})
}

package buildkit

import "testing"

func TestSyntaxOf(t *testing.T) {
	for src, want := range map[string]Syntax{
		"FROM scratch\n": {},
		"# syntax=docker/dockerfile:1\nFROM scratch\n":        {Ref: "docker/dockerfile:1", Carried: true},
		"#syntax = docker/dockerfile:1.4\nFROM scratch\n":     {Ref: "docker/dockerfile:1.4", Carried: true},
		"# syntax=docker.io/docker/dockerfile:1.2\n":          {Ref: "docker.io/docker/dockerfile:1.2", Carried: true},
		"# escape=`\n# syntax=docker/dockerfile:1.7.1\n":      {Ref: "docker/dockerfile:1.7.1", Carried: true},
		"# syntax=docker/dockerfile:1.19\n":                   {Ref: "docker/dockerfile:1.19", Carried: true},
		"# syntax=docker/dockerfile:1.99\n":                   {Ref: "docker/dockerfile:1.99", Carried: false},
		"# syntax=docker/dockerfile:1.7-labs\n":               {Ref: "docker/dockerfile:1.7-labs", Carried: false},
		"# syntax=docker/dockerfile\n":                        {Ref: "docker/dockerfile", Carried: false},
		"# syntax=example.com/frontends/dockerfile:1\n":       {Ref: "example.com/frontends/dockerfile:1", Carried: false},
		"# syntax=docker/dockerfile:1@sha256:" + hex64 + "\n": {Ref: "docker/dockerfile:1@sha256:" + hex64, Carried: false},
		"FROM scratch\n# syntax=docker/dockerfile:1\n":        {},
	} {
		if got := SyntaxOf([]byte(src)); got != want {
			t.Errorf("SyntaxOf(%q) = %+v, want %+v", src, got, want)
		}
	}
}

const hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

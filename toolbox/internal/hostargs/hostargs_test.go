package hostargs

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestFind(t *testing.T) {
	root := t.TempDir()
	project, outside := filepath.Join(root, "proj"), filepath.Join(root, "opt")
	for _, d := range []string{filepath.Join(project, "sub"), filepath.Join(outside, "deploy"), filepath.Join(root, "kube")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{filepath.Join(outside, "deploy", "cm.yaml"), filepath.Join(root, "kube", "a"), filepath.Join(root, "kube", "b"), filepath.Join(project, "in.yaml")} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := filepath.Join(root, "link.yaml")
	if err := os.Symlink(filepath.Join(outside, "deploy", "cm.yaml"), link); err != nil {
		t.Fatal(err)
	}
	inside := func(p string) bool { return p == project || strings.HasPrefix(p, project+"/") }
	call := func(mode Mode, args ...string) Call {
		return Call{Args: args, Cwd: filepath.Join(project, "sub"), Inside: inside, Mode: mode,
			Environ: []string{"KUBECONFIG=" + filepath.Join(root, "kube", "a") + ":" + filepath.Join(root, "kube", "b") + ":" + filepath.Join(project, "kc")}, PathEnv: []string{"KUBECONFIG"}}
	}
	cm := filepath.Join(outside, "deploy", "cm.yaml")

	got, err := Find(call(Read, "create", "-f", cm, "--kubeconfig="+filepath.Join(root, "kube", "a"), "../in.yaml", "/etc/hosts", link, "name"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Path{
		{Named: cm, Real: cm, From: "argument " + cm, Arg: true},
		{Named: filepath.Join(root, "kube", "a"), Real: filepath.Join(root, "kube", "a"), From: "argument --kubeconfig=" + filepath.Join(root, "kube", "a"), Arg: true},
		{Named: link, Real: cm, From: "argument " + link, Arg: true},
		{Named: filepath.Join(root, "kube", "b"), Real: filepath.Join(root, "kube", "b"), From: "variable KUBECONFIG"},
	}
	if len(got) != len(want) {
		t.Fatalf("Find = %+v\nwant %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("path %d: %+v, want %+v", i, got[i], want[i])
		}
	}

	if got, err := Find(call(Off, cm)); err != nil || len(got) != 2 || got[0].From != "variable KUBECONFIG" || got[0].Write || ByArgs(got) {
		t.Errorf("with host_paths off, the arguments give nothing and the path variables what they name, read-only: %v, %v", got, err)
	}
	out := filepath.Join(outside, "out.json")
	if _, err := Find(call(Read, "-o", out)); err == nil || !strings.Contains(err.Error(), "argument "+out+" names "+out+", outside the project, which does not exist") || !strings.Contains(err.Error(), `host_paths = "args:rw"`) {
		t.Errorf("an output with read-only paths: %v", err)
	}
	noEnv := func(c Call) Call { c.PathEnv = nil; return c }
	got, err = Find(noEnv(call(Write, "-o", out, cm)))
	if err != nil || len(got) != 1 || got[0].Named != outside || !got[0].Write {
		t.Errorf("an output with args:rw: its directory read-write, and the file under it not again: %+v, %v", got, err)
	}
	if got, err := Find(noEnv(call(Read, filepath.Join(root, "nodir", "x")))); err != nil || got != nil {
		t.Errorf("a path whose directory does not exist either: %v, %v", got, err)
	}
}

func TestParseMode(t *testing.T) {
	for s, want := range map[string]Mode{"": Off, "off": Off, "args": Read, "args:rw": Write} {
		if got, err := ParseMode(s); err != nil || got != want {
			t.Errorf("ParseMode(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := ParseMode("all"); err == nil {
		t.Error("ParseMode(all) is not an error")
	}
}

func TestValues(t *testing.T) {
	for arg, want := range map[string][]string{
		"/a":              {"/a"},
		"--from=/a":       {"--from=/a", "/a"},
		"@/a":             {"@/a", "/a"},
		"--data=@/a.json": {"--data=@/a.json", "@/a.json", "/a.json"},
		"name=x":          {"name=x"},
	} {
		if got := Values(arg); !slices.Equal(got, want) {
			t.Errorf("Values(%q) = %q, want %q", arg, got, want)
		}
	}
}

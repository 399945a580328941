//go:build linux

package cifiles

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

const gitlabFile = "gitlab-ci.yml"

// gitlabCI is what the test reads of a .gitlab-ci.yml: the whole document,
// for the keyword check, and its jobs' scripts.
type gitlabCI map[string]any

func readGitLabCI(t *testing.T) gitlabCI {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(ciDir, gitlabFile))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", gitlabFile, err)
	}
	return doc
}

// The keywords GitLab CI documents (docs.gitlab.com/ci/yaml): what a file
// may say at the top, in default, in a job and in a rule.
var (
	globalKeys  = []string{"default", "include", "stages", "variables", "workflow"}
	defaultKeys = []string{"after_script", "artifacts", "before_script", "cache", "hooks", "id_tokens", "image", "interruptible", "retry", "services", "tags", "timeout"}
	jobKeys     = []string{"after_script", "allow_failure", "artifacts", "before_script", "cache", "coverage", "dast_configuration", "dependencies", "environment", "extends", "hooks", "id_tokens", "identity", "image", "inherit", "interruptible", "manual_confirmation", "needs", "pages", "parallel", "release", "resource_group", "retry", "rules", "script", "secrets", "services", "stage", "tags", "timeout", "trigger", "variables", "when"}
	ruleKeys    = []string{"allow_failure", "changes", "exists", "if", "interruptible", "needs", "variables", "when"}
)

// The file uses only GitLab CI's documented keywords, in their places and
// shapes: every job has a script of strings and a declared stage, every
// variable is a string. (GitLab's linter is its API, and its schema is not
// served where this suite runs; this is the offline check.)
func TestGitLabCIUsesDocumentedKeywords(t *testing.T) {
	doc := readGitLabCI(t)
	var stages []any
	if list, ok := doc["stages"].([]any); ok {
		stages = list
	}
	for key, v := range doc {
		switch {
		case key == "default":
			checkKeys(t, key, v, defaultKeys)
		case key == "variables":
			for name, val := range asMap(t, key, v) {
				if _, ok := val.(string); !ok {
					t.Errorf("variables.%s is %T, not a string", name, val)
				}
			}
		case slices.Contains(globalKeys, key):
		default:
			job := checkKeys(t, key, v, jobKeys)
			if script, ok := job["script"].([]any); !ok || len(script) == 0 || !allStrings(script) {
				t.Errorf("job %s: script must be a list of strings, is %#v", key, job["script"])
			}
			if !slices.Contains(stages, job["stage"]) {
				t.Errorf("job %s: stage %v is not one of %v", key, job["stage"], stages)
			}
			rules, _ := job["rules"].([]any)
			for _, r := range rules {
				checkKeys(t, key+".rules", r, ruleKeys)
			}
		}
	}
}

// The file's jobs, run as a runner's shell executor runs them: the
// publishing job pushes each tool once and pushes the lock with a merge
// request's push options; the tools job takes exactly what the lock pins.
func TestGitLabCIJobs(t *testing.T) {
	doc := readGitLabCI(t)
	var origin string
	publishThenConsume(t, false, func(t *testing.T, m *machine, tm *team, job, ws string) string {
		origin = tm.origin
		return doc.run(t, m, tm, job, ws)
	}, func(*machine) bool {
		b, _ := os.ReadFile(filepath.Join(origin, "push-options"))
		return strings.Contains(string(b), "merge_request.create") && strings.Contains(string(b), "merge_request.target=main")
	})
}

// run runs a job's before_script and script as one bash -eo pipefail
// script, then its after_script in a shell of its own, as GitLab does,
// with the file's variables expanded over GitLab's predefined ones.
func (doc gitlabCI) run(t *testing.T, m *machine, tm *team, name, ws string) string {
	t.Helper()
	lines := append(doc.script(t, name, "before_script"), doc.script(t, name, "script")...)
	sha := git(t, ws, "rev-parse", "HEAD")
	env := map[string]string{
		"GITLAB_CI": "true", "CI_PROJECT_DIR": ws, "CI_BUILDS_DIR": m.temp, "CI_JOB_ID": "1",
		"CI_COMMIT_SHA": sha, "CI_COMMIT_SHORT_SHA": sha[:8], "CI_COMMIT_BRANCH": "main", "CI_DEFAULT_BRANCH": "main",
		"CI_SERVER_HOST": "gitlab.example.com", "CI_SERVER_PORT": "8443", "CI_SERVER_PROTOCOL": "https", "CI_PROJECT_PATH": "team/tools",
	}
	for k, v := range asMap(t, "variables", doc["variables"]) {
		env[k] = os.Expand(v.(string), func(n string) string { return env[n] })
	}
	if want := "https://oauth2:@gitlab.example.com:8443/team/tools.git"; env["TBX_LOCK_REMOTE"] != want {
		t.Errorf("TBX_LOCK_REMOTE is %s; want %s (the server's port kept)", env["TBX_LOCK_REMOTE"], want)
	}
	env["TBX_GIT"], env["TBX_REF"], env["TBX_REGISTRY_HOST"], env["TBX_LOCK_REMOTE"] = tm.tbxGit, tm.tbxRef, tm.registry, tm.origin
	env["REGISTRY_USER"], env["REGISTRY_PASSWORD"] = "ci", "registry-secret"
	env["COSIGN_KEY"], env["COSIGN_PASSWORD"] = tm.signKeyFile, tm.signPassword // a File variable: its path
	out, err := m.shell(t, ws, strings.Join(lines, "\n"), env)
	after, afterErr := m.shell(t, ws, strings.Join(doc.script(t, name, "after_script"), "\n"), env) // runs after a failure too
	if err != nil || afterErr != nil {
		t.Fatalf("job %s: %v, after_script: %v\n%s%s", name, err, afterErr, out, after)
	}
	if _, err := os.Stat(env["TBX_JOB_DIR"]); err == nil {
		t.Errorf("job %s left its directory %s (its Docker config holds the registry's password)", name, env["TBX_JOB_DIR"])
	}
	return out
}

// script is a job's list of commands under key, or default's.
func (doc gitlabCI) script(t *testing.T, name, key string) []string {
	t.Helper()
	part, ok := asMap(t, name, doc[name])[key]
	if !ok {
		part = asMap(t, "default", doc["default"])[key]
	}
	var out []string
	for _, l := range part.([]any) {
		out = append(out, l.(string))
	}
	return out
}

func checkKeys(t *testing.T, where string, v any, valid []string) map[string]any {
	t.Helper()
	m := asMap(t, where, v)
	for k := range m {
		if !slices.Contains(valid, k) {
			t.Errorf("%s: %q is not a GitLab CI keyword here", where, k)
		}
	}
	return m
}

func asMap(t *testing.T, where string, v any) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s: a mapping, not %T", where, v)
	}
	return m
}

func allStrings(list []any) bool {
	for _, v := range list {
		if _, ok := v.(string); !ok {
			return false
		}
	}
	return true
}

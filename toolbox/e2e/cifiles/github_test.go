//go:build linux

package cifiles

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// workflow is what the test reads of a GitHub Actions workflow.
type workflow struct {
	Env  map[string]string `yaml:"env"`
	Jobs map[string]struct {
		Env   map[string]string `yaml:"env"`
		Steps []struct {
			ID   string            `yaml:"id"`
			Name string            `yaml:"name"`
			If   string            `yaml:"if"`
			Uses string            `yaml:"uses"`
			Run  string            `yaml:"run"`
			Env  map[string]string `yaml:"env"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

const githubFile = "github-actions.yml"

func readWorkflow(t *testing.T) workflow {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(ciDir, githubFile))
	if err != nil {
		t.Fatal(err)
	}
	var wf workflow
	if err := yaml.Unmarshal(b, &wf); err != nil {
		t.Fatalf("%s: %v", githubFile, err)
	}
	return wf
}

// The workflow passes actionlint, GitHub Actions' own linter (built from
// the Go module proxy, cached).
func TestGitHubWorkflowPassesActionlint(t *testing.T) {
	bin := testenv.GoTool(t, "github.com/rhysd/actionlint/cmd/actionlint", "v1.7.12")
	out, err := exec.Command(bin, "-no-color", filepath.Join(ciDir, githubFile)).CombinedOutput()
	if err != nil {
		t.Errorf("actionlint %s: %v\n%s", githubFile, err, out)
	}
}

// The workflow's jobs, run as a hosted runner runs them: the publishing
// job pushes each tool once, has cosign sign it keyless as the workflow,
// and opens a pull request with the lock; the tools job takes exactly what
// the lock pins, its keyless signature verified.
func TestGitHubActionsJobs(t *testing.T) {
	wf := readWorkflow(t)
	var prCalls string
	publishThenConsume(t, true, func(t *testing.T, m *machine, tm *team, job, ws string) string {
		if job == "publish" {
			prCalls = m.fakeCommand(t, "gh")
			tm.cosignCalls = m.fakeCommand(t, "cosign") // what sigstore/cosign-installer installs
		}
		return wf.run(t, m, tm, job, ws)
	}, func(*machine) bool {
		b, _ := os.ReadFile(prCalls)
		return strings.HasPrefix(string(b), "pr create --base main --head tbx/lock-")
	})
}

// run runs a job's steps as a runner does: `uses` steps are the runner's
// (the checkout is ws, Go is on PATH), each `run` in bash -eo pipefail
// with the workflow's, job's and step's env, GITHUB_OUTPUT read after each
// step and GITHUB_PATH put first on PATH.
func (wf workflow) run(t *testing.T, m *machine, tm *team, name, ws string) string {
	t.Helper()
	job, ok := wf.Jobs[name]
	if !ok {
		t.Fatalf("%s has no job %q", githubFile, name)
	}
	values := map[string]string{"github.workspace": ws, "github.token": "a-token", // other secrets.* are empty
		"secrets.REGISTRY_USER": "ci", "secrets.REGISTRY_PASSWORD": "registry-secret"}
	env := map[string]string{}
	for _, layer := range []map[string]string{wf.Env, job.Env} {
		for k, v := range layer {
			env[k] = expand(v, values)
		}
	}
	env["TBX_GIT"], env["TBX_REF"], env["TBX_REGISTRY_HOST"] = tm.tbxGit, tm.tbxRef, tm.registry
	env["GITHUB_ACTIONS"], env["GITHUB_WORKSPACE"], env["RUNNER_TEMP"] = "true", ws, m.temp
	env["GITHUB_SHA"] = git(t, ws, "rev-parse", "HEAD")
	env["GITHUB_PATH"] = filepath.Join(m.temp, "path")
	env["GITHUB_ENV"] = filepath.Join(m.temp, "env")
	outputs := map[string]string{}
	var log strings.Builder
	for i, st := range job.Steps {
		if st.Uses != "" || !condition(t, st.If, env, outputs) {
			continue
		}
		stepEnv := map[string]string{"GITHUB_OUTPUT": filepath.Join(m.temp, "output"+string(rune('a'+i)))}
		for k, v := range env {
			stepEnv[k] = v
		}
		for k, v := range st.Env {
			stepEnv[k] = expand(v, values)
		}
		out, err := m.shell(t, ws, st.Run, stepEnv)
		log.WriteString(out)
		if err != nil {
			t.Fatalf("job %s, step %q: %v\n%s", name, st.Name, err, log.String())
		}
		readOutputs(st.ID, stepEnv["GITHUB_OUTPUT"], outputs)
		readEnv(env)
		if b, err := os.ReadFile(env["GITHUB_PATH"]); err == nil {
			for _, dir := range strings.Fields(string(b)) {
				m.path = append([]string{dir}, m.path...)
			}
			_ = os.Remove(env["GITHUB_PATH"])
		}
	}
	return log.String()
}

// readEnv adds what a step wrote to GITHUB_ENV (NAME=value lines) to the
// environment of the steps after it.
func readEnv(env map[string]string) {
	b, _ := os.ReadFile(env["GITHUB_ENV"])
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && k != "GITHUB_ENV" {
			env[k] = v
		}
	}
	_ = os.Remove(env["GITHUB_ENV"])
}

func readOutputs(id, file string, outputs map[string]string) {
	b, _ := os.ReadFile(file)
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			outputs["steps."+id+".outputs."+k] = v
		}
	}
}

var term = regexp.MustCompile(`^(env\.[A-Z_]+|steps\.[a-z_-]+\.outputs\.[a-z_-]+) (==|!=) '([^']*)'$`)

// condition evaluates a step's `if`: terms such as env.X != ” and
// steps.ID.outputs.K == 'v', joined by &&; anything else fails the test,
// so that the test never runs a step the file would not.
func condition(t *testing.T, cond string, env, outputs map[string]string) bool {
	t.Helper()
	if cond == "" {
		return true
	}
	for _, part := range strings.Split(cond, "&&") {
		m := term.FindStringSubmatch(strings.TrimSpace(part))
		if m == nil {
			t.Fatalf("the test cannot evaluate the condition %q", cond)
		}
		got := outputs[m[1]]
		if name, ok := strings.CutPrefix(m[1], "env."); ok {
			got = env[name]
		}
		if (got == m[3]) != (m[2] == "==") {
			return false
		}
	}
	return true
}

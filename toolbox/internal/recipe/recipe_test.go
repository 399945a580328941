package recipe

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tbx-dev/tbx/toolbox/internal/suggest"
)

// testOptions read a recipe for the default Engine, with ~ at /home/me.
var testOptions = Options{EngineSocket: DefaultEngineSocket, Home: "/home/me"}

// parse parses src as if it were testdata/ctx/toolbox.toml, so that build
// contexts resolve against testdata/ctx.
func parse(t *testing.T, src string) (*Recipe, error) {
	t.Helper()
	abs, err := filepath.Abs("testdata/ctx/toolbox.toml")
	if err != nil {
		t.Fatal(err)
	}
	return Parse(abs, "toolbox.toml", []byte(src), testOptions)
}

const valid = `# the platform team's tools
[toolbox]
name = "platform"
registry = "registry.example.com:5000/platform"

[defaults]
env = ["HTTPS_PROXY", "NO_PROXY", "AZURE_*", "TZ=UTC"]
volumes = ["~/.kube:/kube:ro"]
memory = "1g"

[tools.az]
build = "img"
args = { AZURE_CLI_VERSION = "2.45.0-1" }
commands = ["az"]
env = ["ARM_CLIENT_ID"]
cpus = 1.5

[tools.ansible]
build = "img"
dockerfile = "Dockerfile"
target = ""
commands = ["ansible", "ansible-playbook"]
ssh_agent = true
memory = "512m"

[tools.jq]
image = "registry.example.com/tools/jq:1.7"
`

func TestParseValid(t *testing.T) {
	r, err := parse(t, valid)
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != "platform" || len(r.Tools) != 3 || r.Registry != "registry.example.com:5000/platform" {
		t.Fatalf("got %q with %d tools", r.Name, len(r.Tools))
	}
	if got := []string{r.Tools[0].Name, r.Tools[1].Name, r.Tools[2].Name}; strings.Join(got, ",") != "az,ansible,jq" {
		t.Errorf("tools not in file order: %v", got)
	}
	az := r.Tool("az")
	if az.Version != "2.45.0-1" || az.Args["AZURE_CLI_VERSION"] != "2.45.0-1" || az.Dockerfile != "Dockerfile" {
		t.Errorf("az: %+v", az)
	}
	if strings.Join(az.Run.Env, " ") != "HTTPS_PROXY NO_PROXY AZURE_* TZ=UTC ARM_CLIENT_ID" {
		t.Errorf("env not merged: %v", az.Run.Env)
	}
	if az.Run.Memory != 1<<30 || az.Run.CPUs != 1.5 {
		t.Errorf("limits: %d %v", az.Run.Memory, az.Run.CPUs)
	}
	if az.Run.Volumes[0] != "/home/me/.kube:/kube:ro" {
		t.Errorf("~ not expanded: %v", az.Run.Volumes)
	}
	an := r.Tool("ansible")
	if !Flag(an.Run.SSHAgent, false) || an.Run.Memory != 512<<20 || Flag(az.Run.SSHAgent, false) {
		t.Errorf("ansible run: %+v", an.Run)
	}
	jq := r.Tool("jq")
	if jq.Image == "" || jq.Build != "" || jq.Version != "1.7" || strings.Join(jq.Commands, ",") != "jq" {
		t.Errorf("jq: %+v", jq)
	}
	if r.Command("ansible-playbook") != an || r.Command("kubectl") != nil {
		t.Error("command lookup")
	}
}

func TestParseBuildSecretsAndSSH(t *testing.T) {
	r, err := parse(t, "[toolbox]\nname = \"x\"\n[tools.az]\nbuild = \"img\"\nssh = true\nsecrets = [\"id=token,env=FEED_TOKEN\", \"id=npmrc, src=~/.npmrc\", \"id=local,src=keys/feed\"]\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []Secret{{ID: "token", Env: "FEED_TOKEN"}, {ID: "npmrc", Src: "/home/me/.npmrc"}, {ID: "local", Src: mustAbs("testdata/ctx/keys/feed")}}
	az := r.Tool("az")
	if !az.SSH || len(az.Secrets) != 3 {
		t.Fatalf("ssh %v, secrets %+v", az.SSH, az.Secrets)
	}
	for i, s := range want {
		if az.Secrets[i] != s {
			t.Errorf("secret %d: %+v, want %+v", i, az.Secrets[i], s)
		}
	}
}

func TestParseDigestVersion(t *testing.T) {
	r, err := parse(t, "[toolbox]\nname = \"x\"\n[tools.jq]\nimage = \"127.0.0.1:5000/jq@sha256:"+strings.Repeat("a", 64)+"\"\n")
	if err != nil {
		t.Fatal(err)
	}
	if r.Tools[0].Version != "sha256:"+strings.Repeat("a", 64) {
		t.Errorf("version %q", r.Tools[0].Version)
	}
}

// A tool whose build context or Dockerfile is not there yet (added to the
// recipe before its files) is the tool's problem alone: the recipe reads,
// and the content hash says it (contenthash.Absent).
func TestParseTakesABuildWhoseFilesAreNotThere(t *testing.T) {
	head := "[toolbox]\nname = \"p\"\n"
	for _, src := range []string{
		head + "[tools.az]\nbuild = \"nope\"\n",
		head + "[tools.az]\nbuild = \"img\"\ndockerfile = \"Other\"\n",
	} {
		r, err := parse(t, src)
		if err != nil || r.Tool("az") == nil || r.Tool("az").Build == "" {
			t.Errorf("%q: %v", src, err)
		}
	}
	if _, err := parse(t, head+"[tools.az]\nbuild = \"img\"\ndockerfile = \"../Dockerfile\"\n"); err == nil || !strings.Contains(err.Error(), "is outside the build context") {
		t.Errorf("a Dockerfile outside its context: %v", err)
	}
}

func TestParseMalformed(t *testing.T) {
	head := "[toolbox]\nname = \"p\"\n"
	cases := []struct{ name, src, want string }{
		{"syntax", head + "[tools.az\nbuild = \"img\"\n", "toolbox.toml:3:10: invalid TOML: expected '.' or ']' to end table name, but got '\\n' instead"},
		{"unterminated string", head + "[tools.az]\nbuild = \"img\n", "toolbox.toml:4:13: invalid TOML: strings cannot contain newlines"},
		{"duplicate key", head + "[tools.az]\nbuild = \"img\"\nbuild = \"img\"\n", "toolbox.toml:5:1: invalid TOML: Key 'tools.az.build' has already been defined."},
		{"duplicate table", head + "[tools.az]\nbuild = \"img\"\n[tools.az]\n", "toolbox.toml:5:2: invalid TOML: Key 'tools.az' has already been defined."},
		{"typo in tool key", head + "[tools.az]\nbulid = \"img\"\n", `toolbox.toml:4:1: tools.az.bulid: unknown key in [tools.az]; did you mean "build"?`},
		{"typo in table", head + "[tool.az]\nbuild = \"img\"\n", `toolbox.toml:3:1: tool: unknown key at the top level; did you mean "tools"?`},
		{"typo in toolbox", "[toolbox]\nnmae = \"p\"\n", `toolbox.toml:2:1: toolbox.nmae: unknown key in [toolbox]; did you mean "name"?`},
		{"typo in defaults", head + "[defaults]\nenvs = [\"A\"]\n[tools.az]\nbuild = \"img\"\n", `toolbox.toml:4:1: defaults.envs: unknown key in [defaults]; did you mean "env"?`},
		{"unknown key no suggestion", head + "[tools.az]\nbuild = \"img\"\nzzzzzzzzzzzz = 1\n", "toolbox.toml:5:1: tools.az.zzzzzzzzzzzz: unknown key in [tools.az]; valid keys: args, build, ca_bundle, certificate_identity, certificate_oidc_issuer, commands, cpus, description, docker, dockerfile, entitlements, entrypoint, env, home, host_paths, image, init, memory, network, path_env, pids, proxy, read_only, secrets, signers, spare, ssh, ssh_agent, target, user, version, volumes, warm, workdir"},
		{"unknown key inline", head + "[tools.az]\nbuild = \"img\"\nargs = { A = \"1\", B = { C = \"2\" } }\n", "toolbox.toml:5:19: tools.az.args.B: must be a string, not a table"},
		{"dotted unknown key", head + "[tools]\naz.build = \"img\"\naz.imgae = \"x\"\n", `toolbox.toml:5:1: tools.az.imgae: unknown key in [tools.az]; did you mean "image"?`},
		{"commands not a list", head + "[tools.az]\nbuild = \"img\"\ncommands = \"az\"\n", "toolbox.toml:5:1: tools.az.commands: must be a list of strings, not a string"},
		{"commands mixed", head + "[tools.az]\nbuild = \"img\"\ncommands = [\"az\", 1]\n", "toolbox.toml:5:1: tools.az.commands: must be a list of strings, not a list"},
		{"name not string", "[toolbox]\nname = 3\n[tools.az]\nbuild = \"img\"\n", "toolbox.toml:2:1: toolbox.name: must be a string, not an integer"},
		{"bool as string", head + "[tools.az]\nbuild = \"img\"\nssh_agent = \"yes\"\n", "toolbox.toml:5:1: tools.az.ssh_agent: must be true or false, not a string"},
		{"tools not a table", "tools = 1\n" + head, "toolbox.toml:1:1: tools: must be a table, not an integer"},
		{"tool not a table", head + "[tools]\naz = \"img\"\n", "toolbox.toml:4:1: tools.az: must be a table, not a string"},
		{"missing toolbox", "[tools.az]\nbuild = \"img\"\n", `toolbox.toml:1:1: toolbox.name: missing; add [toolbox] with name = "your-team"`},
		{"bad project name", "[toolbox]\nname = \"My Team\"\n[tools.az]\nbuild = \"img\"\n", `toolbox.toml:2:1: toolbox.name: "My Team" is not a valid name: use lowercase letters, digits and . _ - between them`},
		{"no tools", head, `toolbox.toml:1:1: tools: no tools; add a [tools.NAME] table with image = ... or build = ...`},
		{"bad tool name", head + "[tools.Azure]\nbuild = \"img\"\n", `toolbox.toml:3:1: tools.Azure: "Azure" is not a valid tool name: use lowercase letters, digits and . _ - between them`},
		{"both image and build", head + "[tools.az]\nimage = \"az:1\"\nbuild = \"img\"\n", "toolbox.toml:5:1: tools.az.build: a tool has either image or build, not both"},
		{"neither image nor build", head + "[tools.az]\ncommands = [\"az\"]\n", `toolbox.toml:3:1: tools.az: needs image = "REFERENCE" (to pull) or build = "DIR" (a build context)`},
		{"bad image reference", head + "[tools.jq]\nimage = \"Registry/JQ:1\"\n", `toolbox.toml:4:1: tools.jq.image: "Registry/JQ:1" is not a valid image reference: invalid reference format: repository name (JQ) must be lowercase`},
		{"dockerfile outside", head + "[tools.az]\nbuild = \"img\"\ndockerfile = \"../x/Dockerfile\"\n", "toolbox.toml:5:1: tools.az.dockerfile: ../x/Dockerfile is outside the build context img"},
		{"args with image", head + "[tools.jq]\nimage = \"jq:1\"\nargs = { V = \"1\" }\n", "toolbox.toml:5:1: tools.jq.args: only applies to a tool with build; this one has image"},
		{"bad arg name", head + "[tools.az]\nbuild = \"img\"\nargs = { \"A-B\" = \"1\" }\n", "toolbox.toml:5:10: tools.az.args.A-B: not a valid build arg name"},
		{"duplicate command across tools", head + "[tools.az]\nbuild = \"img\"\n[tools.azure]\nbuild = \"img\"\ncommands = [\"az\"]\n", `toolbox.toml:7:1: tools.azure.commands: command "az" is also provided by tool "az"; a command belongs to one tool`},
		{"tool name clashes with command", head + "[tools.az]\nbuild = \"img\"\ncommands = [\"jq\"]\n[tools.jq]\nimage = \"jq:1\"\n", `toolbox.toml:7:1: tools.jq.image: command "jq" is also provided by tool "az"; a command belongs to one tool`},
		{"command twice", head + "[tools.az]\nbuild = \"img\"\ncommands = [\"az\", \"az\"]\n", `toolbox.toml:5:1: tools.az.commands: "az" is listed twice`},
		{"bad command name", head + "[tools.az]\nbuild = \"img\"\ncommands = [\"bin/az\"]\n", `toolbox.toml:5:1: tools.az.commands: "bin/az" is not a valid command name`},
		{"bad env", head + "[defaults]\nenv = [\"A B\"]\n[tools.az]\nbuild = \"img\"\n", `toolbox.toml:4:1: defaults.env: "A B" is not NAME, a glob such as AZURE_*, or NAME=value`},
		{"bad volume", head + "[tools.az]\nbuild = \"img\"\nvolumes = [\"/data\"]\n", `toolbox.toml:5:1: tools.az.volumes: "/data" is not SOURCE:/container/path[:ro]`},
		{"bad volume mode", head + "[tools.az]\nbuild = \"img\"\nvolumes = [\"/a:/b:rx\"]\n", `toolbox.toml:5:1: tools.az.volumes: "/a:/b:rx" is not SOURCE:/container/path[:ro]`},
		{"bad memory", head + "[tools.az]\nbuild = \"img\"\nmemory = \"lots\"\n", `toolbox.toml:5:1: tools.az.memory: lots is not a memory limit of at least 6m (write it as "512m" or "2g")`},
		{"tiny memory", head + "[tools.az]\nbuild = \"img\"\nmemory = 1024\n", `toolbox.toml:5:1: tools.az.memory: 1024 is not a memory limit of at least 6m (write it as "512m" or "2g")`},
		{"negative cpus", head + "[tools.az]\nbuild = \"img\"\ncpus = -1\n", "toolbox.toml:5:1: tools.az.cpus: -1 is not a positive number of CPUs"},
		{"pids float", head + "[tools.az]\nbuild = \"img\"\npids = 1.5\n", "toolbox.toml:5:1: tools.az.pids: must be an integer, not a float"},
		{"relative workdir", head + "[tools.az]\nbuild = \"img\"\nworkdir = \"src\"\n", `toolbox.toml:5:1: tools.az.workdir: "src" must be an absolute path in the container`},
		{"bad user", head + "[tools.az]\nbuild = \"img\"\nuser = \"bob\"\n", `toolbox.toml:5:1: tools.az.user: "bob" is not one of "caller" (the default), "image", "root"`},
		{"missing ca bundle", head + "[defaults]\nca_bundle = \"nope.pem\"\n[tools.az]\nbuild = \"img\"\n", "toolbox.toml:4:1: defaults.ca_bundle: no CA bundle file at " + mustAbs("testdata/ctx/nope.pem")},
		{"secret not key=value", head + "[tools.az]\nbuild = \"img\"\nsecrets = [\"token\"]\n", `toolbox.toml:5:1: tools.az.secrets: "token": "token" is not KEY=VALUE; write id=ID,env=NAME or id=ID,src=PATH`},
		{"secret without id", head + "[tools.az]\nbuild = \"img\"\nsecrets = [\"env=TOKEN\"]\n", `toolbox.toml:5:1: tools.az.secrets: "env=TOKEN": needs id=ID (letters, digits, . _ -)`},
		{"secret with env and src", head + "[tools.az]\nbuild = \"img\"\nsecrets = [\"id=t,env=T,src=f\"]\n", `toolbox.toml:5:1: tools.az.secrets: "id=t,env=T,src=f": needs exactly one of env=NAME and src=PATH`},
		{"secret unknown field", head + "[tools.az]\nbuild = \"img\"\nsecrets = [\"id=t,value=x\"]\n", `toolbox.toml:5:1: tools.az.secrets: "id=t,value=x": unknown field "value"; a secret has id, and env or src`},
		{"secret twice", head + "[tools.az]\nbuild = \"img\"\nsecrets = [\"id=t,env=A\", \"id=t,env=B\"]\n", `toolbox.toml:5:1: tools.az.secrets: secret id "t" is listed twice`},
		{"secrets with image", head + "[tools.jq]\nimage = \"jq:1\"\nsecrets = [\"id=t,env=A\"]\n", "toolbox.toml:5:1: tools.jq.secrets: only applies to a tool with build; this one has image"},
		{"ssh not bool", head + "[tools.az]\nbuild = \"img\"\nssh = \"yes\"\n", "toolbox.toml:5:1: tools.az.ssh: must be true, false or a list of strings, not a string"},
		{"ssh bad id", head + "[tools.az]\nbuild = \"img\"\nssh = [\"git hub=k\"]\n", `toolbox.toml:5:1: tools.az.ssh: "git hub=k": write ID (served by your agent) or ID=KEYFILE, ID of letters, digits, . _ -`},
		{"ssh id twice", head + "[tools.az]\nbuild = \"img\"\nssh = [\"github\", \"github=k\"]\n", `toolbox.toml:5:1: tools.az.ssh: ssh id "github" is listed twice`},
		{"bad registry", "[toolbox]\nname = \"p\"\nregistry = \"https://reg.example.com\"\n[tools.az]\nbuild = \"img\"\n", `toolbox.toml:3:1: toolbox.registry: "https://reg.example.com" is not a registry: write host[:port][/path], e.g. registry.example.com/team or 127.0.0.1:5000`},
		{"registry without host", "[toolbox]\nname = \"p\"\nregistry = \"team\"\n[tools.az]\nbuild = \"img\"\n", `toolbox.toml:3:1: toolbox.registry: "team" names no registry host: write host[:port][/path], e.g. registry.example.com/team`},
		{"array of tables", head + "[[tools]]\nname = \"az\"\n", "toolbox.toml:3:1: tools: must be a table, not an array of tables"},
		{"env everything", head + "[defaults]\nenv = [\"*\"]\n[tools.az]\nbuild = \"img\"\n", `toolbox.toml:4:1: defaults.env: "*" would pass every variable, secrets included; name them, or use a glob with a prefix such as AZURE_*`},
		{"env glob without prefix", head + "[tools.az]\nbuild = \"img\"\nenv = [\"?*TOKEN\"]\n", `toolbox.toml:5:1: tools.az.env: "?*TOKEN" is not NAME, a glob such as AZURE_*, or NAME=value`},
		{"engine socket volume", head + "[tools.az]\nbuild = \"img\"\nvolumes = [\"/var/run/docker.sock:/var/run/docker.sock\"]\n", `toolbox.toml:5:1: tools.az.volumes: "/var/run/docker.sock:/var/run/docker.sock" mounts the Docker Engine's socket, which is root on the host; write docker = true instead, so that the recipe says so`},
		{"engine socket under /run", head + "[defaults]\nvolumes = [\"/run/docker.sock:/d.sock:ro\"]\n[tools.az]\nbuild = \"img\"\n", `toolbox.toml:4:1: defaults.volumes: "/run/docker.sock:/d.sock:ro" mounts the Docker Engine's socket, which is root on the host; write docker = true instead, so that the recipe says so`},
		{"docker not bool", head + "[tools.az]\nbuild = \"img\"\ndocker = \"yes\"\n", "toolbox.toml:5:1: tools.az.docker: must be true or false, not a string"},
		{"bad warm", head + "[tools.az]\nbuild = \"img\"\nwarm = \"soon\"\n", `toolbox.toml:5:1: tools.az.warm: "soon" is not an idle time between 1s and 24h (such as "15m"), or "off"`},
		{"not utf-8", head + "# caf\xe9\n[tools.az]\nbuild = \"img\"\n", "toolbox.toml:3:6: not UTF-8 text (byte 0xe9); a recipe is TOML, which is UTF-8"},
		{"indented key after comment", head + "# tools\n  [tools.az]\n  build = \"img\"\n  imag = \"x\"\n", `toolbox.toml:6:3: tools.az.imag: unknown key in [tools.az]; did you mean "image"?`},
	}
	if len(cases) < 25 {
		t.Fatalf("the corpus has %d cases, want at least 25", len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parse(t, c.src)
			if err == nil {
				t.Fatalf("no error; want %s", c.want)
			}
			var re *Error
			if !errors.As(err, &re) {
				t.Fatalf("error %T is not a *recipe.Error: %v", err, err)
			}
			if err.Error() != c.want {
				t.Errorf("\n got: %s\nwant: %s", err, c.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Error("the error spans lines")
			}
		})
	}
}

// TestLoadNotARecipe: a path that is no recipe file gets one line that
// names it and says what is wrong.
func TestLoadNotARecipe(t *testing.T) {
	dir := t.TempDir()
	huge := filepath.Join(dir, "huge.toml")
	if err := os.WriteFile(huge, make([]byte, MaxSize+1), 0o644); err != nil {
		t.Fatal(err)
	}
	locked := filepath.Join(dir, "locked.toml")
	if err := os.WriteFile(locked, []byte("[toolbox]\n"), 0o000); err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		dir:                           "is a directory; pass the file: --file " + filepath.Join(dir, FileName),
		huge:                          fmt.Sprintf("is %d bytes; a recipe is at most %d", MaxSize+1, MaxSize),
		filepath.Join(dir, "missing"): "cannot read the recipe " + filepath.Join(dir, "missing") + ": no such file or directory",
		"/dev/null":                   "is not a regular file",
	}
	if os.Getuid() != 0 {
		cases[locked] = "cannot read the recipe " + locked + ": permission denied"
	}
	for path, want := range cases {
		_, err := Load(path, testOptions)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Load(%s) = %v; want one line with %q", path, err, want)
		}
	}
}

func TestParseSigners(t *testing.T) {
	r, err := parse(t, `[toolbox]
name = "p"
signers = ["ci/cosign.pub"]
[tools.az]
build = "img"
[tools.own]
build = "img"
commands = ["own"]
signers = []
[tools.jq]
image = "jq:1"
[tools.yq]
image = "yq:1"
signers = ["ci/cosign.pub"]
`)
	if err != nil {
		t.Fatal(err)
	}
	key := mustAbs("testdata/ctx/ci/cosign.pub")
	for name, want := range map[string][]string{"az": {key}, "own": nil, "jq": nil, "yq": {key}} {
		if got := r.Tool(name).Signers; !slices.Equal(got, want) {
			t.Errorf("%s: signers %v, want %v", name, got, want)
		}
	}
	keyless, err := parse(t, "[toolbox]\nname = \"p\"\nsigners = [\"ci/cosign.pub\"]\ncertificate_identity = \"https://ci/wf@refs/heads/main\"\ncertificate_oidc_issuer = \"https://issuer\"\n[tools.az]\nbuild = \"img\"\n[tools.jq]\nimage = \"jq:1\"\nsigners = [\"ci/cosign.pub\"]\n")
	if err != nil {
		t.Fatal(err)
	}
	want := Identity{Subject: "https://ci/wf@refs/heads/main", Issuer: "https://issuer"}
	if got := keyless.Tool("az").SignedBy; got != want {
		t.Errorf("a built tool signed keyless by %+v, want the project's %+v", got, want)
	}
	if got := keyless.Tool("jq").SignedBy; got != (Identity{}) {
		t.Errorf("a tool with signers of its own is signed keyless by %+v, want no one", got)
	}
	for src, want := range map[string]string{
		"[toolbox]\nname = \"p\"\nsigners = [\"../key.pub\"]\n[tools.az]\nbuild = \"img\"\n":                                                                                 "toolbox.toml:3:1: toolbox.signers: ../key.pub is outside the project",
		"[toolbox]\nname = \"p\"\n[tools.az]\nbuild = \"img\"\nsigners = [\"ci/none.pub\"]\n":                                                                                "toolbox.toml:5:1: tools.az.signers: no public key file at ",
		"[toolbox]\nname = \"p\"\nsigners = [\"ci/cosign.pub\"]\ncertificate_identity = \"me\"\n[tools.az]\nbuild = \"img\"\n":                                               "toolbox.toml:4:1: toolbox.certificate_identity: needs certificate_oidc_issuer beside it",
		"[toolbox]\nname = \"p\"\ncertificate_identity = \"me\"\ncertificate_oidc_issuer = \"https://issuer\"\n[tools.az]\nbuild = \"img\"\n":                                "toolbox.toml:3:1: toolbox.certificate_identity: needs signers beside it",
		"[toolbox]\nname = \"p\"\nsigners = [\"ci/cosign.pub\"]\ncertificate_identity = \"\"\ncertificate_oidc_issuer = \"https://issuer\"\n[tools.az]\nbuild = \"img\"\n":   "toolbox.toml:4:1: toolbox.certificate_identity: is empty",
		"[toolbox]\nname = \"p\"\nsigners = [\"ci/cosign.pub\"]\n[tools.az]\nbuild = \"img\"\ncertificate_identity = \"me\"\ncertificate_oidc_issuer = \"https://issuer\"\n": "tools.az.certificate_identity: a tool names who signs it keyless only beside its own signers",
	} {
		if _, err := parse(t, src); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want %q", err, want)
		}
	}
}

func TestParseWarm(t *testing.T) {
	r, err := parse(t, "[toolbox]\nname = \"p\"\n[defaults]\nwarm = \"15m\"\n[tools.a]\nimage = \"a:1\"\n[tools.b]\nimage = \"b:1\"\nwarm = \"off\"\n")
	if err != nil {
		t.Fatal(err)
	}
	if a, b := r.Tool("a").Run.Warm, r.Tool("b").Run.Warm; a == nil || *a != 15*time.Minute || b == nil || *b != 0 {
		t.Errorf("warm: a %v, b %v; want 15m from the defaults, and the tool's own off", a, b)
	}
}

func TestParseDocker(t *testing.T) {
	r, err := parse(t, "[toolbox]\nname = \"p\"\n[defaults]\ndocker = true\n[tools.a]\nimage = \"a:1\"\n[tools.b]\nimage = \"b:1\"\ndocker = false\n")
	if err != nil {
		t.Fatal(err)
	}
	if !Flag(r.Tool("a").Run.Docker, false) || Flag(r.Tool("b").Run.Docker, true) {
		t.Errorf("docker: a %v, b %v; want the default, and the tool's own false", r.Tool("a").Run.Docker, r.Tool("b").Run.Docker)
	}
}

func mustAbs(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		panic(err)
	}
	return abs
}

func TestFind(t *testing.T) {
	root := t.TempDir()
	deep := filepath.Join(root, "a b", "ç", "d")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Find(deep); !errors.Is(err, ErrNotFound) {
		t.Fatalf("want ErrNotFound, got %v", err)
	}
	want := filepath.Join(root, "a b", FileName)
	if err := os.WriteFile(want, []byte(""), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Find(deep)
	if err != nil || got != want {
		t.Fatalf("Find = %q, %v; want %q", got, err, want)
	}
}

func TestSuggest(t *testing.T) {
	for key, want := range map[string]string{"bulid": "build", "imgae": "image", "Commands": "commands", "x": "", "sshagent": "ssh_agent"} {
		if got := suggest.Nearest(key, keysOf(toolKeys)); got != want {
			t.Errorf("suggest(%q) = %q, want %q", key, got, want)
		}
	}
}

// The Engine's own socket, wherever the settings say it is (a Podman's,
// a context's), is refused as a volume as any docker.sock is.
func TestAVolumeOfTheEnginesSocketIsRefused(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	src := "[toolbox]\nname = \"p\"\n[tools.az]\nbuild = \"img\"\nvolumes = [\"/run/podman/podman.sock:/s\"]\n"
	if err := errors.Join(os.Mkdir(filepath.Join(dir, "img"), 0o755), os.WriteFile(filepath.Join(dir, "img", "Dockerfile"), nil, 0o644), os.WriteFile(path, []byte(src), 0o644)); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path, testOptions); err != nil {
		t.Fatalf("another Engine's socket, with the default Engine: %v", err)
	}
	if _, err := Load(path, Options{EngineSocket: "/run/podman/podman.sock"}); err == nil || !strings.Contains(err.Error(), "mounts the Docker Engine's socket") {
		t.Errorf("the Engine's own socket: %v", err)
	}
}

// A signer key is held to the project as every path is: one whose name
// lies inside but which is a link to a file outside is refused too.
func TestASignerLinkedFromOutsideIsRefused(t *testing.T) {
	dir, outside := t.TempDir(), filepath.Join(t.TempDir(), "x.pub")
	if err := os.WriteFile(outside, []byte("key"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "ci"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "ci", "cosign.pub")); err != nil {
		t.Fatal(err)
	}
	src := "[toolbox]\nname = \"p\"\nsigners = [\"ci/cosign.pub\"]\n[tools.jq]\nimage = \"jq:1\"\n"
	_, err := Parse(filepath.Join(dir, FileName), FileName, []byte(src), Options{})
	if want := "toolbox.toml:3:1: toolbox.signers: ci/cosign.pub leads outside the project, to " + RealPath(outside); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v, want %q", err, want)
	}
}

func TestParseMirrors(t *testing.T) {
	r, err := parse(t, "[toolbox]\nname = \"p\"\nregistry = \"reg.example.com/team\"\nmirrors = [\"mirror.example.com:5000/m\"]\n[tools.jq]\nimage = \"jq:1\"\n")
	if err != nil || len(r.Mirrors) != 1 || r.Mirrors[0] != "mirror.example.com:5000/m" {
		t.Fatalf("mirrors: %v, %v", r, err)
	}
	for src, want := range map[string]string{
		"[toolbox]\nname = \"p\"\nmirrors = [\"m.example.com\"]\n[tools.jq]\nimage = \"jq:1\"\n":                               "toolbox.toml:3:1: toolbox.mirrors: mirrors serve copies of the team registry's images: set registry too",
		"[toolbox]\nname = \"p\"\nregistry = \"r.example.com\"\nmirrors = [\"r.example.com\"]\n[tools.jq]\nimage = \"jq:1\"\n": "toolbox.mirrors: r.example.com is the registry itself",
		"[toolbox]\nname = \"p\"\nregistry = \"r.example.com\"\nmirrors = [\"https://m\"]\n[tools.jq]\nimage = \"jq:1\"\n":     "toolbox.mirrors: ",
	} {
		if _, err := parse(t, src); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want %q", err, want)
		}
	}
}

func TestParseHome(t *testing.T) {
	r, err := parse(t, "[toolbox]\nname = \"p\"\n[defaults]\nhome = [\"~/.kube\"]\n[tools.az]\nbuild = \"img\"\nhome = [\"~/.azure:rw\", \"~/.config/gh/\"]\n")
	if err != nil {
		t.Fatal(err)
	}
	got := r.Tool("az").Run.Home
	if len(got) != 3 || got[0].Rel != ".kube" || got[0].RW || got[1].Rel != ".azure" || !got[1].RW || got[2].Rel != ".config/gh" || !filepath.IsAbs(got[2].Src) || !strings.HasSuffix(got[2].Src, "/.config/gh") {
		t.Errorf("home entries: %+v", got)
	}
	for src, want := range map[string]string{
		"[toolbox]\nname = \"p\"\n[tools.az]\nbuild = \"img\"\nhome = [\"/etc\"]\n":                      "tools.az.home: \"/etc\" is not an entry of your HOME",
		"[toolbox]\nname = \"p\"\n[tools.az]\nbuild = \"img\"\nhome = [\"~/../x\"]\n":                    "is not an entry of your HOME",
		"[toolbox]\nname = \"p\"\n[tools.az]\nbuild = \"img\"\nhome = [\"~\"]\n":                         "is not an entry of your HOME",
		"[toolbox]\nname = \"p\"\n[tools.az]\nbuild = \"img\"\nhome = [\"~/.kube:rx\"]\n":                "write ~/PATH, or ~/PATH:rw",
		"[toolbox]\nname = \"p\"\n[tools.az]\nbuild = \"img\"\nuser = \"image\"\nhome = [\"~/.kube\"]\n": "tools.az.home: home shares entries of your HOME",
	} {
		if _, err := parse(t, src); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want %q", err, want)
		}
	}
}

// Every key the schema knows is documented in docs/recipe.md, in a table
// row of its own: adding a key means saying what it does.
func TestEverySchemaKeyIsDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "recipe.md"))
	if err != nil {
		t.Fatal(err)
	}
	for table, keys := range map[string]map[string]kind{"[toolbox]": toolboxKeys, "[defaults] and tools": runKeys, "tools": toolOnlyKeys} {
		for key := range keys {
			if !strings.Contains(string(doc), "\n| `"+key+"` |") {
				t.Errorf("docs/recipe.md has no row for the %s key %q", table, key)
			}
		}
	}
}

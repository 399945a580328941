//go:build linux

package realtools

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// binDir holds tbx, tbx-core and tbx-warm, built once.
var binDir string

func TestMain(m *testing.M) {
	os.Exit(testenv.WithTbx(m, false, func(dir string) { binDir = dir }))
}

// tbx runs tbx with args in dir with env.
func tbx(t *testing.T, dir string, env []string, args ...string) testenv.Result {
	t.Helper()
	return testenv.Run(t, dir, env, filepath.Join(binDir, "tbx"), args...)
}

// A platform engineer's first commands, with the repository's kubectl,
// Ansible and Azure CLI images: the files they name outside the project, and the
// kubeconfig a variable names, reach the tool read-only; a word that is
// not a path mounts nothing; a link swapped to / while runs start never
// has / mounted.
func TestRealToolsReadTheFilesTheUserNames(t *testing.T) {
	c := testenv.Engine(t)
	testenv.Debian(t, c)
	repo, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	dir, home, elsewhere := t.TempDir(), t.TempDir(), t.TempDir()
	project := testenv.Project(t, c)
	testenv.WriteFiles(t, dir, map[string]string{"toolbox.toml": "[toolbox]\nname = \"" + project + "\"\n" +
		"[tools.kubectl]\nbuild = \"" + filepath.Join(repo, "images", "kubectl") + "\"\nhost_paths = \"args\"\npath_env = [\"KUBECONFIG\"]\n" +
		"[tools.ansible]\nbuild = \"" + filepath.Join(repo, "images", "ansible") + "\"\ncommands = [\"ansible-playbook\"]\nhost_paths = \"args\"\nnetwork = \"host\"\n" +
		"[tools.az]\nbuild = \"" + filepath.Join(repo, "images", "azure-cli") + "\"\nhost_paths = \"args\"\n"})
	testenv.WriteFiles(t, home, map[string]string{
		"x.yaml":   "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: b\n",
		"inv.ini":  "[here]\nlocalhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n",
		"site.yml": "- hosts: here\n  gather_facts: false\n  tasks:\n    - debug:\n        msg: from the inventory {{ inventory_file }}\n",
	})
	testenv.WriteFiles(t, elsewhere, map[string]string{"cloud.json": `{"endpoints": {"resourceManager": "https://management.elsewhere.example/"}}`, "config": "apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts:\n- name: elsewhere\n  context: {cluster: none}\ncurrent-context: elsewhere\n"})
	env := []string{"HOME=" + home, "PATH=" + binDir + string(os.PathListSeparator) + os.Getenv("PATH"),
		"TBX_TRUST=" + dir + string(os.PathListSeparator) + repo, "TBX_SPARE=0", "TBX_PROGRESS=plain", "XDG_STATE_HOME=" + t.TempDir()}
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		env = append(env, "DOCKER_HOST="+h)
	}
	if r := tbx(t, dir, env, "prepare"); r.Code != 0 {
		t.Fatalf("tbx prepare: %+v", r)
	}
	x := filepath.Join(home, "x.yaml")

	t.Run("kubectl reads a file in HOME", func(t *testing.T) {
		// A client-side create that reads the file offline (this kubectl
		// asks the API server for the mapping of a manifest).
		r := tbx(t, dir, env, "run", "kubectl", "create", "configmap", "cm", "--from-file="+x, "--dry-run=client", "-o", "jsonpath={.data}")
		if r.Code != 0 || !strings.Contains(r.Out, "name: cm") {
			t.Errorf("kubectl create configmap --from-file=~/x.yaml: %+v", r)
		}
	})
	t.Run("a resource name mounts nothing", func(t *testing.T) {
		r := tbx(t, dir, env, "--debug", "run", "kubectl", "create", "configmap", "x.yaml", "--dry-run=client", "-o", "name")
		if r.Code != 0 || r.Out != "configmap/x.yaml\n" || strings.Contains(r.Err, "is mounted at") {
			t.Errorf("a name that is no path: %+v", r)
		}
	})
	t.Run("KUBECONFIG names a config elsewhere", func(t *testing.T) {
		kenv := append(append([]string{}, env...), "KUBECONFIG="+filepath.Join(elsewhere, "config"))
		if r := tbx(t, dir, kenv, "run", "kubectl", "config", "view", "-o", "jsonpath={.current-context}"); r.Code != 0 || r.Out != "elsewhere" {
			t.Errorf("KUBECONFIG=/elsewhere/config kubectl config view: %+v", r)
		}
	})
	t.Run("ansible-playbook reads an inventory and a playbook in HOME", func(t *testing.T) {
		r := tbx(t, dir, env, "run", "ansible-playbook", "-i", filepath.Join(home, "inv.ini"), filepath.Join(home, "site.yml"))
		if r.Code != 0 || !strings.Contains(r.Out, "from the inventory "+filepath.Join(home, "inv.ini")) {
			t.Errorf("ansible-playbook -i ~/inv.ini ~/site.yml: %+v", r)
		}
	})
	t.Run("ansible-playbook reaches a loopback sshd with a key outside the project", func(t *testing.T) {
		ssh := testenv.SSHServer(t)
		testenv.WriteFiles(t, home, map[string]string{
			"far.ini": fmt.Sprintf("[far]\n127.0.0.1 ansible_port=%d ansible_user=%s ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'\n", ssh.Port, ssh.User),
			"far.yml": "- hosts: far\n  gather_facts: false\n  tasks:\n    - raw: echo over-ssh-$((6*7))\n      register: said\n    - debug:\n        var: said.stdout_lines\n",
		})
		r := tbx(t, dir, env, "run", "ansible-playbook", "-i", filepath.Join(home, "far.ini"), "--private-key", ssh.Key, filepath.Join(home, "far.yml"))
		if r.Code != 0 || !strings.Contains(r.Out, "over-ssh-42") {
			t.Errorf("ansible-playbook over ssh to 127.0.0.1:%d: %+v", ssh.Port, r)
		}
	})
	t.Run("az reads a cloud's configuration elsewhere, by @FILE", func(t *testing.T) {
		// Offline, az gets as far as asking the endpoint the file names:
		// only the file has that name.
		r := tbx(t, dir, env, "run", "az", "cloud", "register", "-n", "Elsewhere", "--cloud-config", "@"+filepath.Join(elsewhere, "cloud.json"))
		if !strings.Contains(r.Err, "management.elsewhere.example") {
			t.Errorf("az cloud register --cloud-config @/elsewhere/cloud.json did not read the file: %+v", r)
		}
	})
	t.Run("a link swapped to / while runs start never has / mounted", func(t *testing.T) {
		swapRace(t, dir, env, x)
	})
}

// swapRace runs kubectl on a link 100 times while another goroutine swaps
// the link between the file and /: each run reads the file, or fails
// finding nothing; none is given /.
func swapRace(t *testing.T, dir string, env []string, x string) {
	link := filepath.Join(filepath.Dir(x), "link.yaml")
	var stop atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; !stop.Load(); i++ {
			target := x
			if i%2 == 1 {
				target = "/"
			}
			_ = os.Remove(link + ".new")
			if os.Symlink(target, link+".new") == nil {
				_ = os.Rename(link+".new", link)
			}
			time.Sleep(time.Millisecond)
		}
	}()
	read, wrong := 0, 0
	for range 100 {
		r := tbx(t, dir, env, "--debug", "run", "kubectl", "create", "configmap", "cm", "--from-file="+link, "--dry-run=client", "-o", "jsonpath={.data}")
		for _, l := range strings.Split(r.Err, "\n") {
			if strings.Contains(l, "is mounted at") && !strings.Contains(l, ": "+x+" is mounted at "+link) {
				wrong++
				t.Errorf("a run mounted what it should not: %s", l)
			}
		}
		if r.Code == 0 && strings.Contains(r.Out, "name: cm") {
			read++
		}
	}
	stop.Store(true)
	<-done
	t.Logf("100 runs while the link was swapped: %d read the file, %d mounted anything else", read, wrong)
	if read == 0 {
		t.Error("no run read the file: the race proves nothing")
	}
}

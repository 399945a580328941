package runner

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/tbx-dev/tbx/toolbox/internal/statedir"
)

// Identity is who the container's process runs as and where its HOME lives.
type Identity struct {
	UID, GID  int
	Name      string // user name inside the container
	Group     string // primary group name inside the container
	Home      string // HOME inside the container
	HostHome  string // the host directory mounted there, kept per project and tool
	PasswdDir string // host directory holding the generated passwd and group
}

var safeName = regexp.MustCompile(`^[a-z_][a-z0-9_.-]*$`)

// Caller describes the user running tbx (uid, primary gid, environment),
// with a name that works inside a container even when the host's directory
// service has no entry for it.
func Caller(uid, gid int, environ []string) Identity {
	id := Identity{UID: uid, GID: gid}
	id.Name = nameFor(id.UID, environ)
	id.Group = id.Name
	if g, err := user.LookupGroupId(strconv.Itoa(id.GID)); err == nil && safeName.MatchString(g.Name) {
		id.Group = g.Name
	}
	if id.UID == 0 {
		id.Name, id.Home = "root", "/root"
	} else {
		id.Home = "/home/" + id.Name
	}
	return id
}

func nameFor(uid int, environ []string) string {
	candidates := []string{lookupEnv(environ, "USER"), lookupEnv(environ, "LOGNAME")}
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		candidates = append([]string{u.Username}, candidates...)
	}
	for _, c := range candidates {
		c = strings.ToLower(c)
		if safeName.MatchString(c) && len(c) <= 32 {
			return c
		}
	}
	return fmt.Sprintf("u%d", uid)
}

// HomeDir is where the HOME of tool is kept for the project whose key
// (name and identity) is key.
func HomeDir(state, key, tool string) string {
	return filepath.Join(state, "home", key, tool)
}

// Prepare makes the host side of id: the persistent HOME for the project
// (by its key) and tool, and passwd and group files that name the caller.
func (id *Identity) Prepare(state, key, tool string) error {
	id.HostHome = HomeDir(state, key, tool)
	if err := statedir.Mkdir(id.HostHome); err != nil {
		return fmt.Errorf("making the tool's HOME %s: %w", id.HostHome, err)
	}
	id.PasswdDir = filepath.Join(state, "etc", fmt.Sprintf("%s-%d-%d-%s", key, id.UID, id.GID, id.Name))
	if err := statedir.Mkdir(id.PasswdDir); err != nil {
		return fmt.Errorf("making %s: %w", id.PasswdDir, err)
	}
	if err := writeIfChanged(filepath.Join(id.PasswdDir, "passwd"), id.passwd()); err != nil {
		return err
	}
	return writeIfChanged(filepath.Join(id.PasswdDir, "group"), id.group())
}

func (id *Identity) passwd() string {
	s := "root:x:0:0:root:/root:/bin/sh\n"
	if id.UID != 0 {
		s += fmt.Sprintf("%s:x:%d:%d:%s:%s:/bin/sh\n", id.Name, id.UID, id.GID, id.Name, id.Home)
	}
	return s + "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
}

func (id *Identity) group() string {
	s := "root:x:0:\n"
	if id.GID != 0 {
		s += fmt.Sprintf("%s:x:%d:%s\n", id.Group, id.GID, id.Name)
	}
	return s + "nogroup:x:65534:\n"
}

// writeIfChanged writes content atomically, and only when it differs, so
// that concurrent runs never see a half-written file.
func writeIfChanged(path, content string) error {
	if old, err := os.ReadFile(path); err == nil && string(old) == content {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(content); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

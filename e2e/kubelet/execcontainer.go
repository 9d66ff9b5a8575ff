package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// execSpec is what the kubelet hands its re-executed self (--exec-container SPECFILE): the helper
// starts in a fresh mount (and UTS) namespace created by clone, enters the pod's network namespace,
// makes the pod's bind mounts, drops to the container's user and execs the container's process.
type execSpec struct {
	NetNS      string      `json:"netns,omitempty"`
	Hostname   string      `json:"hostname,omitempty"`
	Mounts     []mountSpec `json:"mounts,omitempty"`
	SetUser    bool        `json:"setUser,omitempty"`
	UID        uint32      `json:"uid"`
	GID        uint32      `json:"gid"`
	Groups     []uint32    `json:"groups,omitempty"`
	NoNewPrivs bool        `json:"noNewPrivs,omitempty"`
	Dir        string      `json:"dir,omitempty"`
	Argv       []string    `json:"argv"`
	Env        []string    `json:"env"`
}

type mountSpec struct {
	Source   string `json:"source"`
	Target   string `json:"target"`
	ReadOnly bool   `json:"readOnly,omitempty"`
}

// statusFD is the helper's channel back to the kubelet: close-on-exec, so a successful exec closes
// it silently, while a failure writes its reason there before exiting 128.
const statusFD = 3

func execContainer(specPath string) {
	runtime.LockOSThread()
	syscall.CloseOnExec(statusFD)
	status := os.NewFile(statusFD, "status")
	fail := func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		if status != nil {
			_, _ = status.WriteString(msg)
		}
		fmt.Fprintf(os.Stderr, "kret-kubelet: %s\n", msg)
		os.Exit(128)
	}
	raw, err := os.ReadFile(specPath)
	if err != nil {
		fail("read container spec: %v", err)
	}
	var spec execSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		fail("parse container spec: %v", err)
	}
	if len(spec.Argv) == 0 {
		fail("no command")
	}
	if spec.NetNS != "" {
		fd, err := unix.Open(spec.NetNS, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			fail("open network namespace %s: %v", spec.NetNS, err)
		}
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			fail("enter network namespace %s: %v", spec.NetNS, err)
		}
		unix.Close(fd)
	}
	if spec.Hostname != "" {
		_ = unix.Sethostname([]byte(spec.Hostname))
	}
	// Nothing done here may leak to the host's mount namespace.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		fail("make mounts private: %v", err)
	}
	// The network namespace files of other pods would keep those namespaces alive.
	for _, d := range []string{"/run/netns", "/var/run/netns"} {
		_ = unix.Unmount(d, unix.MNT_DETACH)
	}
	// The executable is found and opened before the mounts too: a volume on /tmp must not hide an
	// entrypoint below /tmp. When it is hidden, it is run through its descriptor (kept open, so
	// that an interpreter can read a script as /proc/self/fd/N).
	argv0 := spec.Argv[0]
	if !strings.Contains(argv0, "/") {
		p, err := lookPath(argv0, spec.Env)
		if err != nil {
			fail("%v", err)
		}
		argv0 = p
	} else if !filepath.IsAbs(argv0) && spec.Dir != "" {
		argv0 = filepath.Join(spec.Dir, argv0)
	}
	exeFD, err := unix.Open(argv0, unix.O_PATH, 0)
	if err != nil {
		fail("exec: %q: %v", spec.Argv[0], err)
	}
	var exeBefore unix.Stat_t
	if err := unix.Fstat(exeFD, &exeBefore); err != nil {
		fail("exec: %q: %v", spec.Argv[0], err)
	}
	// Sources are opened before anything is mounted: a mount on /tmp must not hide a source below it.
	type opened struct {
		mountSpec
		fd  int
		dir bool
	}
	var ms []opened
	for _, m := range spec.Mounts {
		fd, err := unix.Open(m.Source, unix.O_PATH|unix.O_CLOEXEC, 0)
		if err != nil {
			fail("mount source %s: %v", m.Source, err)
		}
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			fail("mount source %s: %v", m.Source, err)
		}
		ms = append(ms, opened{m, fd, st.Mode&unix.S_IFMT == unix.S_IFDIR})
	}
	// Parents before children, otherwise in the given order.
	sort.SliceStable(ms, func(i, j int) bool { return depth(ms[i].Target) < depth(ms[j].Target) })
	for _, m := range ms {
		if err := mountPoint(m.Target, m.dir); err != nil {
			fail("mount point %s: %v", m.Target, err)
		}
		src := fmt.Sprintf("/proc/self/fd/%d", m.fd)
		if err := unix.Mount(src, m.Target, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			fail("bind mount %s on %s: %v", m.Source, m.Target, err)
		}
		if m.ReadOnly {
			if err := unix.Mount("", m.Target, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY, ""); err != nil {
				fail("read-only remount of %s: %v", m.Target, err)
			}
		}
		unix.Close(m.fd)
	}
	if spec.SetUser {
		if err := syscall.Setgroups(toInts(spec.Groups)); err != nil {
			fail("setgroups: %v", err)
		}
		if err := syscall.Setresgid(int(spec.GID), int(spec.GID), int(spec.GID)); err != nil {
			fail("setgid %d: %v", spec.GID, err)
		}
		if err := syscall.Setresuid(int(spec.UID), int(spec.UID), int(spec.UID)); err != nil {
			fail("setuid %d: %v", spec.UID, err)
		}
	}
	if spec.NoNewPrivs {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			fail("no_new_privs: %v", err)
		}
	}
	dir := spec.Dir
	if dir == "" {
		dir = "/"
	}
	if err := os.Chdir(dir); err != nil {
		fail("working directory %s: %v", dir, err)
	}
	var exeAfter unix.Stat_t
	path := argv0
	if unix.Stat(argv0, &exeAfter) == nil && exeAfter.Dev == exeBefore.Dev && exeAfter.Ino == exeBefore.Ino {
		unix.Close(exeFD)
	} else {
		path = fmt.Sprintf("/proc/self/fd/%d", exeFD)
	}
	err = syscall.Exec(path, spec.Argv, spec.Env)
	fail("exec %s: %v", argv0, err)
}

func depth(p string) int { return strings.Count(filepath.Clean(p), "/") }

func toInts(u []uint32) []int {
	out := make([]int, len(u))
	for i, v := range u {
		out[i] = int(v)
	}
	return out
}

// mountPoint creates the target of a bind mount: a directory, or an empty file for a file source.
// When the target cannot be created below /var/run/secrets (a read-only /var, say), a tmpfs there
// makes room for it.
func mountPoint(target string, dir bool) error {
	err := makeMountPoint(target, dir)
	if err == nil {
		return nil
	}
	if strings.HasPrefix(target, "/var/run/secrets/") || strings.HasPrefix(target, "/run/secrets/") {
		base := "/var/run/secrets"
		if strings.HasPrefix(target, "/run/") {
			base = "/run/secrets"
		}
		if e := os.MkdirAll(base, 0o755); e == nil || errors.Is(e, os.ErrExist) {
			if e := unix.Mount("tmpfs", base, "tmpfs", 0, "mode=0755"); e == nil {
				return makeMountPoint(target, dir)
			}
		}
	}
	return err
}

func makeMountPoint(target string, dir bool) error {
	if dir {
		return os.MkdirAll(target, 0o755)
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(target, os.O_CREATE|os.O_RDONLY, 0o644)
	if err != nil {
		if st, e := os.Stat(target); e == nil && !st.IsDir() {
			return nil
		}
		return err
	}
	return f.Close()
}

// lookPath resolves a command name the way execvp would, with the container's PATH.
func lookPath(name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	path := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	for _, d := range filepath.SplitList(path) {
		if d == "" {
			d = "."
		}
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("exec: %q: executable file not found in $PATH", name)
}

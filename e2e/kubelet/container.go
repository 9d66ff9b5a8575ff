package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const (
	backoffInitial = 10 * time.Second
	backoffMax     = 5 * time.Minute
	backoffReset   = 10 * time.Minute
)

// container is one container of a pod and its current (or last) process. Fields below mu are
// guarded by the pod worker's mutex.
type container struct {
	w        *podWorker
	spec     v1.Container
	init     bool
	sidecar  bool
	logPath  string
	termPath string

	state       v1.ContainerState
	lastState   v1.ContainerState
	restarts    int32
	ready       bool
	started     bool
	everStarted bool
	final       bool
	pgid        int
	exited      chan struct{} // closed when the current process has exited
	exitCode    int32
	exitSignal  int32
	id          string
	runStart    int64 // log file offsets of the current and the previous run
	prevStart   int64
	prevEnd     int64
	hasPrev     bool
	hadRun      bool
}

func (w *podWorker) newContainer(spec v1.Container, init, sidecar bool) *container {
	reason := "ContainerCreating"
	if !init && len(w.pod.Spec.InitContainers) > 0 {
		reason = "PodInitializing"
	}
	return &container{
		w:        w,
		spec:     spec,
		init:     init,
		sidecar:  sidecar,
		logPath:  filepath.Join(w.logDir, spec.Name+".log"),
		termPath: filepath.Join(w.podDir, spec.Name+".termination-log"),
		state:    v1.ContainerState{Waiting: &v1.ContainerStateWaiting{Reason: reason}},
	}
}

func (c *container) logf(format string, args ...any) {
	kind := "container"
	if c.init {
		kind = "init container"
	}
	c.w.logf("%s %s: %s", kind, c.spec.Name, fmt.Sprintf(format, args...))
}

func (c *container) isStarted() bool {
	c.w.mu.Lock()
	defer c.w.mu.Unlock()
	return c.started
}

// status reports the container as the API wants it. Call with w.mu held.
func (c *container) status() v1.ContainerStatus {
	st := c.state
	if st.Waiting != nil && c.w.setupMsg != "" && !c.hadRun {
		st = v1.ContainerState{Waiting: &v1.ContainerStateWaiting{Reason: c.w.setupReason, Message: c.w.setupMsg}}
	}
	image := c.spec.Image
	cs := v1.ContainerStatus{
		Name:                 c.spec.Name,
		Image:                image,
		ImageID:              "docker-pullable://" + image,
		ContainerID:          c.id,
		Ready:                c.ready,
		RestartCount:         c.restarts,
		State:                *st.DeepCopy(),
		LastTerminationState: *c.lastState.DeepCopy(),
	}
	started := c.started
	cs.Started = &started
	return cs
}

func (c *container) setWaiting(reason, msg string) {
	c.w.mu.Lock()
	changed := c.state.Waiting == nil || c.state.Waiting.Reason != reason || c.state.Waiting.Message != msg
	if c.state.Terminated != nil {
		c.lastState = c.state
	}
	c.state = v1.ContainerState{Waiting: &v1.ContainerStateWaiting{Reason: reason, Message: msg}}
	c.w.mu.Unlock()
	if changed {
		c.w.requestStatus()
	}
}

func (c *container) shouldRestart(code int32) bool {
	if c.sidecar {
		return true
	}
	policy := c.w.latest().Spec.RestartPolicy
	if c.init {
		return code != 0 && policy != v1.RestartPolicyNever
	}
	switch policy {
	case v1.RestartPolicyNever:
		return false
	case v1.RestartPolicyOnFailure:
		return code != 0
	default:
		return true
	}
}

type launchResult int

const (
	launched launchResult = iota
	configError
	startError
	canceled
)

// run runs the container until it is done for good (restarting it as the restart policy says) or
// ctx ends; it reports whether its last run exited 0.
func (c *container) run(ctx context.Context) bool {
	crashes := 0
	for {
		res := c.launch(ctx)
		switch res {
		case canceled:
			return c.finish()
		case configError:
			if !sleepCtx(ctx, 5*time.Second) {
				return c.finish()
			}
			continue
		case launched:
			started := time.Now()
			probeCtx, stopProbes := context.WithCancel(ctx)
			if !c.init || c.sidecar {
				go c.runProbes(probeCtx)
			}
			if h := c.spec.Lifecycle; h != nil && h.PostStart != nil {
				go c.runHook(probeCtx, h.PostStart, "PostStart", 2*time.Minute)
			}
			c.w.mu.Lock()
			exited := c.exited
			c.w.mu.Unlock()
			<-exited
			stopProbes()
			c.recordExit()
			if time.Since(started) > backoffReset {
				crashes = 0
			}
		}
		c.w.mu.Lock()
		code := c.exitCode
		c.w.mu.Unlock()
		if ctx.Err() != nil || !c.shouldRestart(code) {
			return c.finish()
		}
		crashes++
		var delay time.Duration
		if crashes > 1 {
			delay = backoffInitial << (crashes - 2)
			if delay > backoffMax || delay <= 0 {
				delay = backoffMax
			}
		}
		if delay > 0 {
			pod := c.w.latest()
			msg := fmt.Sprintf("back-off %s restarting failed container=%s pod=%s_%s(%s)", delay, c.spec.Name, pod.Name, pod.Namespace, pod.UID)
			c.setWaiting("CrashLoopBackOff", msg)
			c.logf("exited %d; restarting in %s", code, delay)
			c.w.event(v1.EventTypeWarning, "BackOff", "Back-off restarting failed container %s in pod %s", c.spec.Name, pod.Name)
			if !sleepCtx(ctx, delay) {
				return c.finish()
			}
		} else {
			c.logf("exited %d; restarting", code)
		}
		c.w.mu.Lock()
		if c.state.Terminated != nil {
			c.lastState = c.state
		}
		c.restarts++
		c.w.mu.Unlock()
	}
}

// finish marks the container done for good; it reports whether its last run exited 0.
func (c *container) finish() bool {
	c.w.mu.Lock()
	if c.state.Waiting != nil && c.state.Waiting.Reason == "CrashLoopBackOff" && c.lastState.Terminated != nil {
		c.state, c.lastState = c.lastState, v1.ContainerState{}
	}
	c.final = true
	c.ready = false
	ok := c.state.Terminated != nil && c.state.Terminated.ExitCode == 0
	c.w.mu.Unlock()
	if !c.init {
		c.w.checkFinished()
	}
	c.w.requestStatus()
	return ok
}

// launch starts one run of the container.
func (c *container) launch(ctx context.Context) launchResult {
	w := c.w
	pod := w.latest()
	spec, reason, err := w.execSpecFor(ctx, pod, c, nil)
	if err != nil {
		if ctx.Err() != nil {
			return canceled
		}
		w.mu.Lock()
		prev := c.state.Waiting
		w.mu.Unlock()
		if prev == nil || prev.Message != err.Error() {
			c.logf("%s: %v", reason, err)
			w.event(v1.EventTypeWarning, "Failed", "Error: %v", err)
		}
		c.setWaiting(reason, err.Error())
		return configError
	}
	if err := os.MkdirAll(w.logDir, 0o755); err != nil {
		c.setWaiting("CreateContainerError", err.Error())
		return configError
	}
	// A fresh termination log, writable by the container's user.
	if err := os.WriteFile(c.termPath, nil, 0o644); err == nil {
		_ = os.Chown(c.termPath, int(spec.UID), int(spec.GID))
	}
	specPath := filepath.Join(w.podDir, c.spec.Name+".spec.json")
	raw, _ := json.Marshal(spec)
	if err := os.WriteFile(specPath, raw, 0o600); err != nil {
		c.setWaiting("CreateContainerError", err.Error())
		return configError
	}
	logFile, err := os.OpenFile(c.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		c.setWaiting("CreateContainerError", err.Error())
		return configError
	}
	defer logFile.Close()
	w.mu.Lock()
	hadRun := c.hadRun
	restarts := c.restarts
	w.mu.Unlock()
	if hadRun {
		end, _ := logFile.Seek(0, io.SeekEnd)
		fmt.Fprintf(logFile, "--- kret-kubelet: container %s restarted (restart %d) at %s ---\n",
			c.spec.Name, restarts, time.Now().UTC().Format(time.RFC3339))
		w.mu.Lock()
		c.prevStart, c.prevEnd, c.hasPrev = c.runStart, end, true
		w.mu.Unlock()
	}
	offset, _ := logFile.Seek(0, io.SeekEnd)

	pr, pw, err := os.Pipe()
	if err != nil {
		c.setWaiting("CreateContainerError", err.Error())
		return configError
	}
	defer pr.Close()
	cmd := exec.Command(w.k.self, "--exec-container", specPath)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.ExtraFiles = []*os.File{pw}
	flags := uintptr(syscall.CLONE_NEWNS)
	if !pod.Spec.HostNetwork {
		flags |= syscall.CLONE_NEWUTS
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Cloneflags: flags}

	w.mu.Lock()
	if ctx.Err() != nil {
		w.mu.Unlock()
		pw.Close()
		return canceled
	}
	err = cmd.Start()
	startedAt := metav1.Now()
	exited := make(chan struct{})
	if err == nil {
		c.pgid = cmd.Process.Pid
		c.exited = exited
		c.id = fmt.Sprintf("kret://%d-%d", cmd.Process.Pid, w.k.seq.Add(1))
		c.runStart = offset
		c.hadRun = true
	}
	w.mu.Unlock()
	pw.Close()
	if err != nil {
		c.recordStartError(startedAt, err.Error())
		return startError
	}
	// The helper's status pipe: EOF once it has exec'd the container's process, or its error.
	msg, _ := io.ReadAll(pr)
	go func() {
		err := cmd.Wait()
		var code, sig int32
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok {
				if ws.Signaled() {
					sig = int32(ws.Signal())
					code = 128 + sig
				} else {
					code = int32(ws.ExitStatus())
				}
			}
		} else if err != nil {
			code = 128
		}
		w.mu.Lock()
		c.exitCode, c.exitSignal = code, sig
		w.mu.Unlock()
		close(exited)
	}()
	if len(msg) > 0 {
		<-exited
		c.recordStartError(startedAt, string(msg))
		return startError
	}
	w.mu.Lock()
	c.state = v1.ContainerState{Running: &v1.ContainerStateRunning{StartedAt: startedAt}}
	c.everStarted = true
	c.started = c.spec.StartupProbe == nil
	c.ready = c.started && c.spec.ReadinessProbe == nil && (!c.init || c.sidecar)
	w.mu.Unlock()
	c.logf("started (pid %d): %s", cmd.Process.Pid, strings.Join(spec.Argv, " "))
	w.event(v1.EventTypeNormal, "Started", "Started container %s", c.spec.Name)
	w.requestStatus()
	return launched
}

func (c *container) recordStartError(startedAt metav1.Time, msg string) {
	c.logf("start failed: %s", msg)
	c.w.event(v1.EventTypeWarning, "Failed", "Error: %s", msg)
	c.w.mu.Lock()
	c.exitCode, c.exitSignal = 128, 0
	c.state = v1.ContainerState{Terminated: &v1.ContainerStateTerminated{
		ExitCode: 128, Reason: "StartError", Message: msg,
		StartedAt: startedAt, FinishedAt: metav1.Now(), ContainerID: c.id,
	}}
	c.ready, c.started = false, false
	c.w.mu.Unlock()
	c.w.requestStatus()
}

// recordExit turns the exited process into a terminated state.
func (c *container) recordExit() {
	w := c.w
	w.mu.Lock()
	pgid := c.pgid
	w.mu.Unlock()
	// Whatever the process left behind goes with it, as in a container.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	msg := readLimited(c.termPath, 4096)
	w.mu.Lock()
	code, sig := c.exitCode, c.exitSignal
	var startedAt metav1.Time
	if c.state.Running != nil {
		startedAt = c.state.Running.StartedAt
	}
	runStart := c.runStart
	w.mu.Unlock()
	if msg == "" && code != 0 && c.spec.TerminationMessagePolicy == v1.TerminationMessageFallbackToLogsOnError {
		msg = tailFile(c.logPath, runStart, 80, 2048)
	}
	reason := "Completed"
	if code != 0 {
		reason = "Error"
	}
	w.mu.Lock()
	c.state = v1.ContainerState{Terminated: &v1.ContainerStateTerminated{
		ExitCode: code, Signal: sig, Reason: reason, Message: msg,
		StartedAt: startedAt, FinishedAt: metav1.Now(), ContainerID: c.id,
	}}
	c.ready = c.init && code == 0 && !c.sidecar
	c.started = false
	w.mu.Unlock()
	c.logf("exited with code %d (%s)", code, reason)
	w.requestStatus()
}

// stop ends the container's current process: preStop hook (when hooks), SIGTERM to its process
// group, SIGKILL after grace.
func (c *container) stop(grace time.Duration, hooks bool, why string) {
	w := c.w
	w.mu.Lock()
	exited, pgid := c.exited, c.pgid
	w.mu.Unlock()
	// A process that was started is stopped even if it has not reported running yet: a deletion
	// that arrived while it was starting otherwise waited forever on a process nobody signalled
	// (seen: the operator pod stuck Terminating after kubectl set env).
	if exited == nil || pgid == 0 {
		return
	}
	select {
	case <-exited:
		return
	default:
	}
	deadline := time.Now().Add(grace)
	if hooks {
		w.event(v1.EventTypeNormal, "Killing", "%s", why)
		if h := c.spec.Lifecycle; h != nil && h.PreStop != nil && grace > 0 {
			ctx, cancel := context.WithDeadline(context.Background(), deadline)
			hookDone := make(chan struct{})
			go func() { c.runHook(ctx, h.PreStop, "PreStop", grace); close(hookDone) }()
			select {
			case <-hookDone:
			case <-exited:
			}
			cancel()
		}
	}
	c.logf("stopping (SIGTERM, grace %s)", time.Until(deadline).Round(time.Second))
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	remaining := time.Until(deadline)
	if remaining < 0 {
		remaining = 0
	}
	if grace > 0 && remaining < 2*time.Second {
		remaining = 2 * time.Second
	}
	t := time.NewTimer(remaining)
	defer t.Stop()
	select {
	case <-exited:
	case <-t.C:
		c.logf("grace period over: SIGKILL")
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-exited
	}
}

func readLimited(path string, limit int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, limit))
	return string(b)
}

// tailFile returns the last lines (at most maxBytes) of path from offset on.
func tailFile(path string, offset int64, lines int, maxBytes int) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return ""
	}
	b, _ := io.ReadAll(f)
	b = lastLines(b, lines)
	if len(b) > maxBytes {
		b = b[len(b)-maxBytes:]
	}
	return string(b)
}

func lastLines(b []byte, n int) []byte {
	if n < 0 {
		return b
	}
	end := len(b)
	trimmed := bytes.TrimSuffix(b, []byte("\n"))
	count := 0
	for i := len(trimmed) - 1; i >= 0; i-- {
		if trimmed[i] == '\n' {
			count++
			if count == n {
				return b[i+1 : end]
			}
		}
	}
	if n == 0 {
		return nil
	}
	return b
}

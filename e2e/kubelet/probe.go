package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

var probeTransport = &http.Transport{
	TLSClientConfig:   &tls.Config{InsecureSkipVerify: true},
	DisableKeepAlives: true,
	Proxy:             nil,
}

// runProbes runs the container's startup probe, then its readiness and liveness probes, until ctx
// (the current run) ends.
func (c *container) runProbes(ctx context.Context) {
	if p := c.spec.StartupProbe; p != nil {
		if !c.probeLoop(ctx, p, "Startup") {
			return
		}
		c.w.mu.Lock()
		c.started = true
		if c.spec.ReadinessProbe == nil {
			c.ready = true
		}
		c.w.mu.Unlock()
		c.logf("started (startup probe succeeded)")
		c.w.requestStatus()
	}
	if p := c.spec.ReadinessProbe; p != nil {
		go c.probeLoop(ctx, p, "Readiness")
	}
	if p := c.spec.LivenessProbe; p != nil {
		go c.probeLoop(ctx, p, "Liveness")
	}
}

func orDefault(v, def int32) int32 {
	if v <= 0 {
		return def
	}
	return v
}

// probeLoop runs one probe; for a startup probe it reports whether it succeeded.
func (c *container) probeLoop(ctx context.Context, p *v1.Probe, kind string) bool {
	period := time.Duration(orDefault(p.PeriodSeconds, 10)) * time.Second
	timeout := time.Duration(orDefault(p.TimeoutSeconds, 1)) * time.Second
	failureThreshold := int(orDefault(p.FailureThreshold, 3))
	successThreshold := int(orDefault(p.SuccessThreshold, 1))
	if !sleepCtx(ctx, time.Duration(p.InitialDelaySeconds)*time.Second) {
		return false
	}
	successes, failures := 0, 0
	for {
		ok, msg := c.probeOnce(ctx, &p.ProbeHandler, timeout)
		if ctx.Err() != nil {
			return false
		}
		if ok {
			successes, failures = successes+1, 0
		} else {
			successes, failures = 0, failures+1
			c.w.event(v1.EventTypeWarning, "Unhealthy", "%s probe failed: %s", kind, msg)
		}
		switch kind {
		case "Readiness":
			if ok && successes >= successThreshold {
				c.setReady(true, "")
			} else if !ok && failures >= failureThreshold {
				c.setReady(false, msg)
			}
		case "Startup":
			if ok {
				return true
			}
			if failures >= failureThreshold {
				c.logf("startup probe failed %d times (%s): killing it", failures, msg)
				go c.stop(c.probeGrace(p), true, fmt.Sprintf("Container %s failed startup probe, will be restarted", c.spec.Name))
				return false
			}
		case "Liveness":
			if !ok && failures >= failureThreshold {
				c.logf("liveness probe failed %d times (%s): killing it", failures, msg)
				go c.stop(c.probeGrace(p), true, fmt.Sprintf("Container %s failed liveness probe, will be restarted", c.spec.Name))
				return false
			}
		}
		if !sleepCtx(ctx, period) {
			return false
		}
	}
}

func (c *container) probeGrace(p *v1.Probe) time.Duration {
	if p.TerminationGracePeriodSeconds != nil {
		return time.Duration(*p.TerminationGracePeriodSeconds) * time.Second
	}
	if g := c.w.latest().Spec.TerminationGracePeriodSeconds; g != nil {
		return time.Duration(*g) * time.Second
	}
	return 30 * time.Second
}

func (c *container) setReady(ready bool, msg string) {
	c.w.mu.Lock()
	changed := c.ready != ready && c.state.Running != nil
	if c.state.Running != nil {
		c.ready = ready
	}
	c.w.mu.Unlock()
	if changed {
		if ready {
			c.logf("ready")
		} else {
			c.logf("not ready: %s", msg)
		}
		c.w.requestStatus()
	}
}

func (c *container) resolvePort(port intstr.IntOrString) (int, error) {
	if port.Type == intstr.Int {
		return port.IntValue(), nil
	}
	for _, p := range c.spec.Ports {
		if p.Name == port.StrVal {
			return int(p.ContainerPort), nil
		}
	}
	if n, err := strconv.Atoi(port.StrVal); err == nil {
		return n, nil
	}
	return 0, fmt.Errorf("no port named %q in container %s", port.StrVal, c.spec.Name)
}

func (c *container) podIP() string {
	c.w.mu.Lock()
	defer c.w.mu.Unlock()
	return c.w.ip
}

// probeOnce runs a probe's (or hook's) handler once.
func (c *container) probeOnce(ctx context.Context, h *v1.ProbeHandler, timeout time.Duration) (bool, string) {
	switch {
	case h.HTTPGet != nil:
		return c.httpGet(ctx, h.HTTPGet, timeout)
	case h.TCPSocket != nil:
		host := h.TCPSocket.Host
		if host == "" {
			host = c.podIP()
		}
		port, err := c.resolvePort(h.TCPSocket.Port)
		if err != nil {
			return false, err.Error()
		}
		return dialProbe(ctx, host, port, timeout)
	case h.GRPC != nil:
		// No gRPC health client here: a connection counts as healthy.
		return dialProbe(ctx, c.podIP(), int(h.GRPC.Port), timeout)
	case h.Exec != nil:
		return c.execInContainer(ctx, h.Exec.Command, timeout)
	}
	return true, ""
}

func dialProbe(ctx context.Context, host string, port int, timeout time.Duration) (bool, string) {
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return false, err.Error()
	}
	conn.Close()
	return true, ""
}

func (c *container) httpGet(ctx context.Context, g *v1.HTTPGetAction, timeout time.Duration) (bool, string) {
	host := g.Host
	if host == "" {
		host = c.podIP()
	}
	port, err := c.resolvePort(g.Port)
	if err != nil {
		return false, err.Error()
	}
	scheme := strings.ToLower(string(g.Scheme))
	if scheme == "" {
		scheme = "http"
	}
	path := g.Path
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	url := fmt.Sprintf("%s://%s%s", scheme, net.JoinHostPort(host, strconv.Itoa(port)), path)
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, url, nil)
	if err != nil {
		return false, err.Error()
	}
	req.Header.Set("User-Agent", "kube-probe/1.35")
	req.Header.Set("Accept", "*/*")
	for _, h := range g.HTTPHeaders {
		if strings.EqualFold(h.Name, "Host") {
			req.Host = h.Value
		} else {
			req.Header.Set(h.Name, h.Value)
		}
	}
	resp, err := (&http.Client{Transport: probeTransport}).Do(req)
	if err != nil {
		return false, err.Error()
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 10<<10))
	resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 400 {
		return true, ""
	}
	return false, fmt.Sprintf("HTTP probe failed with statuscode: %d", resp.StatusCode)
}

// execInContainer runs command inside the container: the pod's network namespace, the container's
// mounts, user and environment.
func (c *container) execInContainer(ctx context.Context, command []string, timeout time.Duration) (bool, string) {
	w := c.w
	spec, _, err := w.execSpecFor(ctx, w.latest(), c, command)
	if err != nil {
		return false, err.Error()
	}
	raw, _ := json.Marshal(spec)
	path := filepath.Join(w.podDir, fmt.Sprintf("%s.exec-%d.json", c.spec.Name, w.k.seq.Add(1)))
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		return false, err.Error()
	}
	defer os.Remove(path)
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return false, err.Error()
	}
	defer devnull.Close()
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(rctx, w.k.self, "--exec-container", path)
	cmd.ExtraFiles = []*os.File{devnull}
	flags := uintptr(syscall.CLONE_NEWNS)
	if !w.latest().Spec.HostNetwork {
		flags |= syscall.CLONE_NEWUTS
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Cloneflags: flags}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	out, err := cmd.CombinedOutput()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	msg := strings.TrimSpace(string(out))
	if len(msg) > 1024 {
		msg = msg[len(msg)-1024:]
	}
	if rctx.Err() == context.DeadlineExceeded {
		return false, fmt.Sprintf("command %q timed out", strings.Join(command, " "))
	}
	if err != nil {
		return false, fmt.Sprintf("command %q failed: %v: %s", strings.Join(command, " "), err, msg)
	}
	return true, msg
}

// runHook runs a postStart or preStop hook.
func (c *container) runHook(ctx context.Context, h *v1.LifecycleHandler, name string, timeout time.Duration) {
	var ok bool
	var msg string
	switch {
	case h.Exec != nil:
		ok, msg = c.execInContainer(ctx, h.Exec.Command, timeout)
	case h.HTTPGet != nil:
		ok, msg = c.httpGet(ctx, h.HTTPGet, timeout)
	case h.Sleep != nil:
		ok = sleepCtx(ctx, time.Duration(h.Sleep.Seconds)*time.Second) || true
	default:
		return
	}
	if ok {
		c.logf("%s hook done", name)
		return
	}
	c.logf("%s hook failed: %s", name, msg)
	c.w.event(v1.EventTypeWarning, "Failed"+name+"Hook", "%s hook failed: %s", name, msg)
}

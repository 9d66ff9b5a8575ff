package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/kubernetes/third_party/forked/golang/expansion"
)

const (
	defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	saMountPath = "/var/run/secrets/kubernetes.io/serviceaccount"
)

// execSpecFor builds what the helper needs to run the container's process, or, with command set,
// a command inside the container (exec probes and hooks). On failure it returns the waiting reason.
func (w *podWorker) execSpecFor(ctx context.Context, pod *v1.Pod, c *container, command []string) (*execSpec, string, error) {
	uid, gid, groups, err := identity(pod, &c.spec)
	if err != nil {
		return nil, "CreateContainerConfigError", err
	}
	env, vars, err := w.buildEnv(ctx, pod, &c.spec, uid)
	if err != nil {
		return nil, "CreateContainerConfigError", err
	}
	mapping := expansion.MappingFuncFor(vars)
	var argv []string
	if command != nil {
		argv = w.argv(command, nil)
	} else {
		var cmd, args []string
		for _, s := range c.spec.Command {
			cmd = append(cmd, expansion.Expand(s, mapping))
		}
		for _, s := range c.spec.Args {
			args = append(args, expansion.Expand(s, mapping))
		}
		argv = w.argv(cmd, args)
	}
	mounts, err := w.mountsFor(pod, c, mapping)
	if err != nil {
		return nil, "CreateContainerConfigError", err
	}
	spec := &execSpec{
		Mounts:  mounts,
		SetUser: true,
		UID:     uid,
		GID:     gid,
		Groups:  groups,
		Dir:     c.spec.WorkingDir,
		Argv:    argv,
		Env:     env,
	}
	if !pod.Spec.HostNetwork {
		spec.NetNS = "/var/run/netns/" + w.netns
		spec.Hostname = podHostname(pod)
	}
	if sc := c.spec.SecurityContext; sc != nil && sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation {
		spec.NoNewPrivs = true
	}
	return spec, "", nil
}

// argv: no command runs the image's entrypoint (kretctl) with the args; a command kretctl is the
// entrypoint too; any other command runs as given, from the host.
func (w *podWorker) argv(command, args []string) []string {
	if len(command) == 0 {
		return append([]string{w.k.cfg.entrypoint}, args...)
	}
	out := append(append([]string{}, command...), args...)
	if out[0] == "kretctl" || strings.HasSuffix(out[0], "/kretctl") {
		out[0] = w.k.cfg.entrypoint
	}
	return out
}

func identity(pod *v1.Pod, c *v1.Container) (uid, gid uint32, groups []uint32, err error) {
	psc := pod.Spec.SecurityContext
	if psc == nil {
		psc = &v1.PodSecurityContext{}
	}
	csc := c.SecurityContext
	if csc == nil {
		csc = &v1.SecurityContext{}
	}
	runAsUser := psc.RunAsUser
	if csc.RunAsUser != nil {
		runAsUser = csc.RunAsUser
	}
	runAsGroup := psc.RunAsGroup
	if csc.RunAsGroup != nil {
		runAsGroup = csc.RunAsGroup
	}
	nonRoot := psc.RunAsNonRoot
	if csc.RunAsNonRoot != nil {
		nonRoot = csc.RunAsNonRoot
	}
	podRef := fmt.Sprintf("%s_%s(%s)", pod.Name, pod.Namespace, pod.UID)
	if nonRoot != nil && *nonRoot {
		if runAsUser == nil {
			return 0, 0, nil, fmt.Errorf("container has runAsNonRoot and image will run as root (pod: %q, container: %s)", podRef, c.Name)
		}
		if *runAsUser == 0 {
			return 0, 0, nil, fmt.Errorf("container's runAsUser breaks non-root policy (pod: %q, container: %s)", podRef, c.Name)
		}
	}
	if runAsUser != nil {
		uid = uint32(*runAsUser)
	}
	if runAsGroup != nil {
		gid = uint32(*runAsGroup)
	}
	if psc.FSGroup != nil {
		groups = append(groups, uint32(*psc.FSGroup))
	}
	for _, g := range psc.SupplementalGroups {
		groups = append(groups, uint32(g))
	}
	return uid, gid, groups, nil
}

type envList struct {
	order []string
	vals  map[string]string
}

func (e *envList) set(k, v string) {
	if _, ok := e.vals[k]; !ok {
		e.order = append(e.order, k)
	}
	e.vals[k] = v
}

func (w *podWorker) buildEnv(ctx context.Context, pod *v1.Pod, c *v1.Container, uid uint32) ([]string, map[string]string, error) {
	cfg := w.k.cfg
	e := &envList{vals: map[string]string{}}
	e.set("PATH", defaultPath)
	if jh := os.Getenv("JAVA_HOME"); jh != "" {
		e.set("JAVA_HOME", jh)
	}
	if uid == 0 {
		e.set("HOME", "/root")
	} else {
		e.set("HOME", "/")
	}
	for _, kv := range cfg.imageEnv {
		k, v, _ := strings.Cut(kv, "=")
		e.set(k, v)
	}
	port := strconv.Itoa(cfg.apiPort)
	e.set("KUBERNETES_SERVICE_HOST", cfg.apiHost)
	e.set("KUBERNETES_SERVICE_PORT", port)
	e.set("KUBERNETES_SERVICE_PORT_HTTPS", port)
	e.set("KUBERNETES_PORT", "tcp://"+cfg.apiHost+":"+port)
	if pod.Spec.HostNetwork {
		h, _ := os.Hostname()
		e.set("HOSTNAME", h)
	} else {
		e.set("HOSTNAME", podHostname(pod))
	}

	for _, ef := range c.EnvFrom {
		var data map[string]string
		switch {
		case ef.ConfigMapRef != nil:
			cm, err := w.k.client.CoreV1().ConfigMaps(pod.Namespace).Get(ctx, ef.ConfigMapRef.Name, metav1.GetOptions{})
			if err != nil {
				if apierrors.IsNotFound(err) && ef.ConfigMapRef.Optional != nil && *ef.ConfigMapRef.Optional {
					continue
				}
				return nil, nil, fmt.Errorf("configmap %q not found", ef.ConfigMapRef.Name)
			}
			data = cm.Data
		case ef.SecretRef != nil:
			s, err := w.k.client.CoreV1().Secrets(pod.Namespace).Get(ctx, ef.SecretRef.Name, metav1.GetOptions{})
			if err != nil {
				if apierrors.IsNotFound(err) && ef.SecretRef.Optional != nil && *ef.SecretRef.Optional {
					continue
				}
				return nil, nil, fmt.Errorf("secret %q not found", ef.SecretRef.Name)
			}
			data = map[string]string{}
			for k, v := range s.Data {
				data[k] = string(v)
			}
		}
		keys := make([]string, 0, len(data))
		for k := range data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			e.set(ef.Prefix+k, data[k])
		}
	}

	for _, ev := range c.Env {
		if ev.ValueFrom == nil {
			e.set(ev.Name, expansion.Expand(ev.Value, expansion.MappingFuncFor(e.vals)))
			continue
		}
		vf := ev.ValueFrom
		switch {
		case vf.FieldRef != nil:
			v, err := w.fieldValue(pod, vf.FieldRef.FieldPath)
			if err != nil {
				return nil, nil, err
			}
			e.set(ev.Name, v)
		case vf.ResourceFieldRef != nil:
			v, err := w.resourceValue(pod, c, vf.ResourceFieldRef)
			if err != nil {
				return nil, nil, err
			}
			e.set(ev.Name, v)
		case vf.ConfigMapKeyRef != nil:
			ref := vf.ConfigMapKeyRef
			optional := ref.Optional != nil && *ref.Optional
			cm, err := w.k.client.CoreV1().ConfigMaps(pod.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
			if err != nil {
				if apierrors.IsNotFound(err) {
					if optional {
						continue
					}
					return nil, nil, fmt.Errorf("configmap %q not found", ref.Name)
				}
				return nil, nil, err
			}
			v, ok := cm.Data[ref.Key]
			if !ok {
				if b, ok2 := cm.BinaryData[ref.Key]; ok2 {
					v, ok = string(b), true
				}
			}
			if !ok {
				if optional {
					continue
				}
				return nil, nil, fmt.Errorf("couldn't find key %s in ConfigMap %s/%s", ref.Key, pod.Namespace, ref.Name)
			}
			e.set(ev.Name, v)
		case vf.SecretKeyRef != nil:
			ref := vf.SecretKeyRef
			optional := ref.Optional != nil && *ref.Optional
			s, err := w.k.client.CoreV1().Secrets(pod.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
			if err != nil {
				if apierrors.IsNotFound(err) {
					if optional {
						continue
					}
					return nil, nil, fmt.Errorf("secret %q not found", ref.Name)
				}
				return nil, nil, err
			}
			v, ok := s.Data[ref.Key]
			if !ok {
				if optional {
					continue
				}
				return nil, nil, fmt.Errorf("couldn't find key %s in Secret %s/%s", ref.Key, pod.Namespace, ref.Name)
			}
			e.set(ev.Name, string(v))
		}
	}
	out := make([]string, 0, len(e.order))
	for _, k := range e.order {
		out = append(out, k+"="+e.vals[k])
	}
	return out, e.vals, nil
}

func (w *podWorker) fieldValue(pod *v1.Pod, path string) (string, error) {
	w.mu.Lock()
	ip := w.ip
	w.mu.Unlock()
	switch path {
	case "metadata.name":
		return pod.Name, nil
	case "metadata.namespace":
		return pod.Namespace, nil
	case "metadata.uid":
		return string(pod.UID), nil
	case "metadata.labels":
		return formatMap(pod.Labels), nil
	case "metadata.annotations":
		return formatMap(pod.Annotations), nil
	case "spec.nodeName":
		return pod.Spec.NodeName, nil
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, nil
	case "status.podIP", "status.podIPs":
		return ip, nil
	case "status.hostIP", "status.hostIPs":
		return w.k.cfg.bridgeIP, nil
	}
	for _, p := range []struct {
		prefix string
		m      map[string]string
	}{{"metadata.labels", pod.Labels}, {"metadata.annotations", pod.Annotations}} {
		if rest, ok := strings.CutPrefix(path, p.prefix+"['"); ok {
			if key, ok := strings.CutSuffix(rest, "']"); ok {
				return p.m[key], nil
			}
		}
	}
	return "", fmt.Errorf("unsupported fieldPath: %s", path)
}

func formatMap(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%q\n", k, m[k])
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// resourceValue resolves a resourceFieldRef: the container's limit (the node's allocatable when
// unset) or request, divided by the divisor and rounded up.
func (w *podWorker) resourceValue(pod *v1.Pod, c *v1.Container, ref *v1.ResourceFieldSelector) (string, error) {
	if ref.ContainerName != "" && ref.ContainerName != c.Name {
		for i := range pod.Spec.Containers {
			if pod.Spec.Containers[i].Name == ref.ContainerName {
				c = &pod.Spec.Containers[i]
			}
		}
	}
	kind, name, ok := strings.Cut(ref.Resource, ".")
	if !ok {
		return "", fmt.Errorf("unsupported resource %q", ref.Resource)
	}
	var q resource.Quantity
	var found bool
	switch kind {
	case "limits":
		q, found = c.Resources.Limits[v1.ResourceName(name)]
		if !found {
			q, found = w.k.cfg.capacityList[v1.ResourceName(name)]
		}
	case "requests":
		q, found = c.Resources.Requests[v1.ResourceName(name)]
	default:
		return "", fmt.Errorf("unsupported resource %q", ref.Resource)
	}
	divisor := ref.Divisor
	if divisor.IsZero() {
		divisor = resource.MustParse("1")
	}
	if name == "cpu" {
		return strconv.FormatInt(int64(math.Ceil(float64(q.MilliValue())/float64(divisor.MilliValue()))), 10), nil
	}
	_ = found
	return strconv.FormatInt(int64(math.Ceil(float64(q.Value())/float64(divisor.Value()))), 10), nil
}

// mountsFor lists the container's bind mounts: its volumeMounts, the service account token (when
// no volume is mounted there), its termination log and the pod's /etc/hosts.
func (w *podWorker) mountsFor(pod *v1.Pod, c *container, mapping func(string) string) ([]mountSpec, error) {
	w.mu.Lock()
	vols := w.volumes
	w.mu.Unlock()
	var ms []mountSpec
	targets := map[string]bool{}
	for _, vm := range c.spec.VolumeMounts {
		hv, ok := vols[vm.Name]
		if !ok {
			return nil, fmt.Errorf("volume %q of volumeMount %s is not prepared", vm.Name, vm.MountPath)
		}
		src := hv.path
		sub := vm.SubPath
		if vm.SubPathExpr != "" {
			sub = expansion.Expand(vm.SubPathExpr, mapping)
		}
		if sub != "" {
			if filepath.IsAbs(sub) || strings.HasPrefix(filepath.Clean(sub), "..") {
				return nil, fmt.Errorf("invalid subPath %q", sub)
			}
			src = filepath.Join(src, sub)
			if _, err := os.Stat(src); os.IsNotExist(err) {
				if err := os.MkdirAll(src, 0o777); err != nil {
					return nil, err
				}
				_ = os.Chmod(src, 0o777)
			}
		}
		ms = append(ms, mountSpec{Source: src, Target: vm.MountPath, ReadOnly: vm.ReadOnly || hv.readOnly})
		targets[filepath.Clean(vm.MountPath)] = true
	}
	if automount(pod) && !targets[saMountPath] {
		ms = append(ms, mountSpec{Source: filepath.Join(w.podDir, "serviceaccount"), Target: saMountPath, ReadOnly: true})
	}
	termTarget := c.spec.TerminationMessagePath
	if termTarget == "" {
		termTarget = v1.TerminationMessagePathDefault
	}
	if !targets[filepath.Clean(termTarget)] {
		ms = append(ms, mountSpec{Source: c.termPath, Target: termTarget})
	}
	if !pod.Spec.HostNetwork && !targets["/etc/hosts"] {
		ms = append(ms, mountSpec{Source: filepath.Join(w.podDir, "etc-hosts"), Target: "/etc/hosts", ReadOnly: true})
	}
	return ms, nil
}

func automount(pod *v1.Pod) bool {
	return pod.Spec.AutomountServiceAccountToken == nil || *pod.Spec.AutomountServiceAccountToken
}

// podHostname is the pod's hostname: spec.hostname or its name, at most 63 characters as a
// kubelet truncates it.
func podHostname(pod *v1.Pod) string {
	h := pod.Name
	if pod.Spec.Hostname != "" {
		h = pod.Spec.Hostname
	}
	if len(h) > 63 {
		h = strings.TrimRight(h[:63], "-.")
	}
	return h
}

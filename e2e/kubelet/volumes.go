package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	authv1 "k8s.io/api/authentication/v1"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

type hostVolume struct {
	path     string
	readOnly bool
}

// tokenTarget is a service account token file kept fresh: refreshed at 80 % of its lifetime.
type tokenTarget struct {
	path      string
	audiences []string
	seconds   int64
	next      time.Time
}

// setup prepares what the pod's containers need: directories, network, volumes, the service
// account token, /etc/hosts. It is retried until it succeeds; the reason is the containers'
// waiting reason meanwhile.
func (w *podWorker) setup(ctx context.Context) (string, error) {
	pod := w.latest()
	for _, d := range []string{w.podDir, w.logDir, filepath.Join(w.podDir, "volumes")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "ContainerCreating", err
		}
	}
	w.mu.Lock()
	netUp, ip := w.netUp, w.ip
	w.mu.Unlock()
	if !netUp {
		if pod.Spec.HostNetwork {
			ip = w.k.cfg.bridgeIP
		} else {
			if ip == "" {
				var err error
				if ip, err = w.k.ipam.allocate(); err != nil {
					return "ContainerCreating", err
				}
				w.mu.Lock()
				w.ip = ip
				w.mu.Unlock()
			}
			if err := w.k.setupNetwork(w.netns, w.veth, ip); err != nil {
				return "ContainerCreating", fmt.Errorf("pod network: %v", err)
			}
			w.logf("network up: %s (netns %s, veth %s)", ip, w.netns, w.veth)
		}
		w.mu.Lock()
		w.ip, w.netUp = ip, true
		w.mu.Unlock()
		w.requestStatus()
	}
	hosts := fmt.Sprintf("# Kubernetes-managed hosts file (kret-kubelet).\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n%s\t%s\n", ip, podHostname(pod))
	if err := os.WriteFile(filepath.Join(w.podDir, "etc-hosts"), []byte(hosts), 0o644); err != nil {
		return "ContainerCreating", err
	}
	var tokens []*tokenTarget
	if automount(pod) {
		dir := filepath.Join(w.podDir, "serviceaccount")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "ContainerCreating", err
		}
		t := &tokenTarget{path: filepath.Join(dir, "token"), seconds: 3600}
		if err := w.writeToken(ctx, pod, t); err != nil {
			return "ContainerCreating", err
		}
		tokens = append(tokens, t)
		if err := writeAtomic(filepath.Join(dir, "namespace"), []byte(pod.Namespace), 0o644); err != nil {
			return "ContainerCreating", err
		}
		if ca, err := w.caData(ctx, pod.Namespace); err == nil {
			if err := writeAtomic(filepath.Join(dir, "ca.crt"), ca, 0o644); err != nil {
				return "ContainerCreating", err
			}
		} else {
			return "ContainerCreating", err
		}
	}
	vols := map[string]hostVolume{}
	for _, v := range pod.Spec.Volumes {
		hv, ts, err := w.prepareVolume(ctx, pod, v)
		if err != nil {
			return "ContainerCreating", fmt.Errorf("volume %q: %v", v.Name, err)
		}
		vols[v.Name] = hv
		tokens = append(tokens, ts...)
	}
	w.mu.Lock()
	w.volumes = vols
	w.tokens = tokens
	w.mu.Unlock()
	if len(tokens) > 0 {
		go w.refreshTokens(w.runCtx)
	}
	return "", nil
}

func (w *podWorker) caData(ctx context.Context, ns string) ([]byte, error) {
	if w.k.cfg.caFile != "" {
		return os.ReadFile(w.k.cfg.caFile)
	}
	cm, err := w.k.client.CoreV1().ConfigMaps(ns).Get(ctx, "kube-root-ca.crt", metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("cluster CA: no --ca-file and configmap kube-root-ca.crt: %v", err)
	}
	return []byte(cm.Data["ca.crt"]), nil
}

func (w *podWorker) writeToken(ctx context.Context, pod *v1.Pod, t *tokenTarget) error {
	sa := pod.Spec.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	req := &authv1.TokenRequest{Spec: authv1.TokenRequestSpec{
		Audiences:         t.audiences,
		ExpirationSeconds: ptr.To(t.seconds),
		BoundObjectRef:    &authv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: pod.Name, UID: pod.UID},
	}}
	res, err := w.k.client.CoreV1().ServiceAccounts(pod.Namespace).CreateToken(ctx, sa, req, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("service account token for %s/%s: %v", pod.Namespace, sa, err)
	}
	if err := writeAtomic(t.path, []byte(res.Status.Token), 0o644); err != nil {
		return err
	}
	life := time.Until(res.Status.ExpirationTimestamp.Time)
	if life <= 0 {
		life = time.Duration(t.seconds) * time.Second
	}
	t.next = time.Now().Add(life * 8 / 10)
	return nil
}

func (w *podWorker) refreshTokens(ctx context.Context) {
	for {
		w.mu.Lock()
		tokens := w.tokens
		w.mu.Unlock()
		if len(tokens) == 0 {
			return
		}
		next := tokens[0].next
		for _, t := range tokens {
			if t.next.Before(next) {
				next = t.next
			}
		}
		if !sleepCtx(ctx, time.Until(next)) {
			return
		}
		pod := w.latest()
		for _, t := range tokens {
			if time.Now().Before(t.next) {
				continue
			}
			if err := w.writeToken(ctx, pod, t); err != nil {
				if ctx.Err() != nil {
					return
				}
				w.logf("token refresh: %v", err)
				t.next = time.Now().Add(10 * time.Second)
			}
		}
	}
}

// writeAtomic replaces path by a new file: a rename, so that a bind-mounted directory shows either
// version in full.
func writeAtomic(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return err
	}
	if err := os.Chmod(tmp, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func (w *podWorker) volumeDir(name string, mode os.FileMode) (string, error) {
	dir := filepath.Join(w.podDir, "volumes", name)
	if err := os.MkdirAll(dir, mode); err != nil {
		return "", err
	}
	return dir, os.Chmod(dir, mode)
}

func (w *podWorker) prepareVolume(ctx context.Context, pod *v1.Pod, v v1.Volume) (hostVolume, []*tokenTarget, error) {
	client := w.k.client.CoreV1()
	var fsGroup *int64
	if pod.Spec.SecurityContext != nil {
		fsGroup = pod.Spec.SecurityContext.FSGroup
	}
	switch {
	case v.PersistentVolumeClaim != nil:
		pvc, err := client.PersistentVolumeClaims(pod.Namespace).Get(ctx, v.PersistentVolumeClaim.ClaimName, metav1.GetOptions{})
		if err != nil {
			return hostVolume{}, nil, err
		}
		if pvc.Status.Phase != v1.ClaimBound || pvc.Spec.VolumeName == "" {
			return hostVolume{}, nil, fmt.Errorf("persistentvolumeclaim %q is not bound", pvc.Name)
		}
		pv, err := client.PersistentVolumes().Get(ctx, pvc.Spec.VolumeName, metav1.GetOptions{})
		if err != nil {
			return hostVolume{}, nil, err
		}
		var path string
		switch {
		case pv.Spec.HostPath != nil:
			path = pv.Spec.HostPath.Path
			if pv.Spec.HostPath.Type != nil && *pv.Spec.HostPath.Type == v1.HostPathDirectoryOrCreate {
				if err := os.MkdirAll(path, 0o777); err != nil {
					return hostVolume{}, nil, err
				}
			}
		case pv.Spec.Local != nil:
			path = pv.Spec.Local.Path
		default:
			return hostVolume{}, nil, fmt.Errorf("persistentvolume %s is neither hostPath nor local", pv.Name)
		}
		if _, err := os.Stat(path); err != nil {
			return hostVolume{}, nil, fmt.Errorf("persistentvolume %s: %v", pv.Name, err)
		}
		return hostVolume{path: path, readOnly: v.PersistentVolumeClaim.ReadOnly}, nil, nil
	case v.EmptyDir != nil:
		dir, err := w.volumeDir(v.Name, 0o777)
		return hostVolume{path: dir}, nil, err
	case v.HostPath != nil:
		p := v.HostPath.Path
		if t := v.HostPath.Type; t != nil {
			switch *t {
			case v1.HostPathDirectoryOrCreate:
				if err := os.MkdirAll(p, 0o755); err != nil {
					return hostVolume{}, nil, err
				}
			case v1.HostPathFileOrCreate:
				if err := makeMountPoint(p, false); err != nil {
					return hostVolume{}, nil, err
				}
			}
		}
		if _, err := os.Stat(p); err != nil {
			return hostVolume{}, nil, err
		}
		return hostVolume{path: p}, nil, nil
	case v.ConfigMap != nil:
		dir, err := w.volumeDir(v.Name, 0o755)
		if err != nil {
			return hostVolume{}, nil, err
		}
		if _, err := w.writeConfigMap(ctx, pod.Namespace, dir, v.ConfigMap.Name, v.ConfigMap.Items, v.ConfigMap.DefaultMode, v.ConfigMap.Optional, fsGroup); err != nil {
			return hostVolume{}, nil, err
		}
		return hostVolume{path: dir, readOnly: true}, nil, nil
	case v.Secret != nil:
		dir, err := w.volumeDir(v.Name, 0o755)
		if err != nil {
			return hostVolume{}, nil, err
		}
		if err := w.writeSecret(ctx, pod.Namespace, dir, v.Secret.SecretName, v.Secret.Items, v.Secret.DefaultMode, v.Secret.Optional, fsGroup); err != nil {
			return hostVolume{}, nil, err
		}
		return hostVolume{path: dir, readOnly: true}, nil, nil
	case v.DownwardAPI != nil:
		dir, err := w.volumeDir(v.Name, 0o755)
		if err != nil {
			return hostVolume{}, nil, err
		}
		if err := w.writeDownward(pod, dir, v.DownwardAPI.Items, v.DownwardAPI.DefaultMode); err != nil {
			return hostVolume{}, nil, err
		}
		return hostVolume{path: dir, readOnly: true}, nil, nil
	case v.Projected != nil:
		dir, err := w.volumeDir(v.Name, 0o755)
		if err != nil {
			return hostVolume{}, nil, err
		}
		var tokens []*tokenTarget
		for _, s := range v.Projected.Sources {
			switch {
			case s.ServiceAccountToken != nil:
				t := &tokenTarget{path: filepath.Join(dir, s.ServiceAccountToken.Path), seconds: 3600}
				if s.ServiceAccountToken.ExpirationSeconds != nil {
					t.seconds = *s.ServiceAccountToken.ExpirationSeconds
				}
				if s.ServiceAccountToken.Audience != "" {
					t.audiences = []string{s.ServiceAccountToken.Audience}
				}
				if err := w.writeToken(ctx, pod, t); err != nil {
					return hostVolume{}, nil, err
				}
				tokens = append(tokens, t)
			case s.ConfigMap != nil:
				_, err := w.writeConfigMap(ctx, pod.Namespace, dir, s.ConfigMap.Name, s.ConfigMap.Items, v.Projected.DefaultMode, s.ConfigMap.Optional, fsGroup)
				if err != nil {
					return hostVolume{}, nil, err
				}
			case s.Secret != nil:
				if err := w.writeSecret(ctx, pod.Namespace, dir, s.Secret.Name, s.Secret.Items, v.Projected.DefaultMode, s.Secret.Optional, fsGroup); err != nil {
					return hostVolume{}, nil, err
				}
			case s.DownwardAPI != nil:
				if err := w.writeDownward(pod, dir, s.DownwardAPI.Items, v.Projected.DefaultMode); err != nil {
					return hostVolume{}, nil, err
				}
			}
		}
		return hostVolume{path: dir, readOnly: true}, tokens, nil
	default:
		w.logf("volume %q: unsupported type; an empty directory stands in", v.Name)
		dir, err := w.volumeDir(v.Name, 0o777)
		return hostVolume{path: dir}, nil, err
	}
}

func writeKeys(dir string, data map[string][]byte, items []v1.KeyToPath, defaultMode *int32, fsGroup *int64, what string) error {
	mode := os.FileMode(0o644)
	if defaultMode != nil {
		mode = os.FileMode(*defaultMode)
	}
	write := func(rel string, b []byte, m os.FileMode) error {
		if filepath.IsAbs(rel) || strings.HasPrefix(filepath.Clean(rel), "..") {
			return fmt.Errorf("invalid path %q", rel)
		}
		p := filepath.Join(dir, rel)
		if err := writeAtomic(p, b, m); err != nil {
			return err
		}
		if fsGroup != nil {
			_ = os.Chown(p, -1, int(*fsGroup))
		}
		return nil
	}
	if len(items) == 0 {
		for k, b := range data {
			if err := write(k, b, mode); err != nil {
				return err
			}
		}
		return nil
	}
	for _, it := range items {
		b, ok := data[it.Key]
		if !ok {
			return fmt.Errorf("configuration of %s has no key %q", what, it.Key)
		}
		m := mode
		if it.Mode != nil {
			m = os.FileMode(*it.Mode)
		}
		if err := write(it.Path, b, m); err != nil {
			return err
		}
	}
	return nil
}

func (w *podWorker) writeConfigMap(ctx context.Context, ns, dir, name string, items []v1.KeyToPath, mode *int32, optional *bool, fsGroup *int64) (bool, error) {
	cm, err := w.k.client.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		if apierrors.IsNotFound(err) {
			if optional != nil && *optional {
				return false, nil
			}
			// The root CA configmap may lag behind the namespace: the CA file stands in.
			if name == "kube-root-ca.crt" && w.k.cfg.caFile != "" {
				ca, err := os.ReadFile(w.k.cfg.caFile)
				if err != nil {
					return false, err
				}
				return true, writeKeys(dir, map[string][]byte{"ca.crt": ca}, items, mode, fsGroup, "configmap "+name)
			}
			return false, fmt.Errorf("configmap %q not found", name)
		}
		return false, err
	}
	data := map[string][]byte{}
	for k, v := range cm.Data {
		data[k] = []byte(v)
	}
	for k, v := range cm.BinaryData {
		data[k] = v
	}
	return true, writeKeys(dir, data, items, mode, fsGroup, "configmap "+name)
}

func (w *podWorker) writeSecret(ctx context.Context, ns, dir, name string, items []v1.KeyToPath, mode *int32, optional *bool, fsGroup *int64) error {
	s, err := w.k.client.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		if apierrors.IsNotFound(err) {
			if optional != nil && *optional {
				return nil
			}
			return fmt.Errorf("secret %q not found", name)
		}
		return err
	}
	return writeKeys(dir, s.Data, items, mode, fsGroup, "secret "+name)
}

func (w *podWorker) writeDownward(pod *v1.Pod, dir string, items []v1.DownwardAPIVolumeFile, defaultMode *int32) error {
	data := map[string][]byte{}
	var keys []v1.KeyToPath
	for _, it := range items {
		var v string
		var err error
		switch {
		case it.FieldRef != nil:
			v, err = w.fieldValue(pod, it.FieldRef.FieldPath)
		case it.ResourceFieldRef != nil:
			c := &v1.Container{}
			if len(pod.Spec.Containers) > 0 {
				c = &pod.Spec.Containers[0]
			}
			v, err = w.resourceValue(pod, c, it.ResourceFieldRef)
		}
		if err != nil {
			return err
		}
		data[it.Path] = []byte(v)
		keys = append(keys, v1.KeyToPath{Key: it.Path, Path: it.Path, Mode: it.Mode})
	}
	return writeKeys(dir, data, keys, defaultMode, nil, "downwardAPI")
}

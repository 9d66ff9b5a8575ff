package main

import (
	"context"
	"log"
	"os"
	"runtime"
	"strings"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
)

const (
	leaseDuration  = 40
	renewInterval  = 10 * time.Second
	statusInterval = 10 * time.Second
)

func (k *kubelet) nodeLabels() map[string]string {
	l := map[string]string{
		"kubernetes.io/hostname":  k.cfg.nodeName,
		"kubernetes.io/os":        "linux",
		"kubernetes.io/arch":      "amd64",
		"beta.kubernetes.io/os":   "linux",
		"beta.kubernetes.io/arch": "amd64",
	}
	for key, v := range k.cfg.labels {
		l[key] = v
	}
	return l
}

func readTrim(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func (k *kubelet) nodeStatus(old *v1.NodeStatus) v1.NodeStatus {
	now := metav1.Now()
	cond := func(t v1.NodeConditionType, s v1.ConditionStatus, reason, msg string) v1.NodeCondition {
		c := v1.NodeCondition{Type: t, Status: s, Reason: reason, Message: msg, LastHeartbeatTime: now, LastTransitionTime: now}
		if old != nil {
			for _, o := range old.Conditions {
				if o.Type == t && o.Status == s {
					c.LastTransitionTime = o.LastTransitionTime
				}
			}
		}
		return c
	}
	kernel := readTrim("/proc/sys/kernel/osrelease")
	machineID := readTrim("/etc/machine-id")
	if machineID == "" {
		machineID = "kret-" + k.cfg.nodeName
	}
	return v1.NodeStatus{
		Capacity:    k.cfg.capacityList.DeepCopy(),
		Allocatable: k.cfg.capacityList.DeepCopy(),
		Phase:       v1.NodeRunning,
		Conditions: []v1.NodeCondition{
			cond(v1.NodeMemoryPressure, v1.ConditionFalse, "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
			cond(v1.NodeDiskPressure, v1.ConditionFalse, "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
			cond(v1.NodePIDPressure, v1.ConditionFalse, "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
			cond(v1.NodeReady, v1.ConditionTrue, "KubeletReady", "kubelet is posting ready status"),
		},
		Addresses: []v1.NodeAddress{
			{Type: v1.NodeInternalIP, Address: k.cfg.bridgeIP},
			{Type: v1.NodeHostName, Address: k.cfg.nodeName},
		},
		DaemonEndpoints: v1.NodeDaemonEndpoints{KubeletEndpoint: v1.DaemonEndpoint{Port: int32(k.cfg.port)}},
		NodeInfo: v1.NodeSystemInfo{
			MachineID:               machineID,
			SystemUUID:              machineID,
			BootID:                  readTrim("/proc/sys/kernel/random/boot_id"),
			KernelVersion:           kernel,
			OSImage:                 "kret-kubelet (processes)",
			ContainerRuntimeVersion: "kret://" + kubeletVersion,
			KubeletVersion:          kubeletVersion,
			OperatingSystem:         "linux",
			Architecture:            runtime.GOARCH,
		},
	}
}

func (k *kubelet) registerNode(ctx context.Context) error {
	for attempt := 0; ; attempt++ {
		err := k.tryRegister(ctx)
		if err == nil {
			return nil
		}
		if attempt%10 == 0 {
			log.Printf("node %s: registration failed (retrying): %v", k.cfg.nodeName, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

func (k *kubelet) tryRegister(ctx context.Context) error {
	nodes := k.client.CoreV1().Nodes()
	node := &v1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: k.cfg.nodeName, Labels: k.nodeLabels()},
		Spec: v1.NodeSpec{
			PodCIDR:  k.cfg.podNet.String(),
			PodCIDRs: []string{k.cfg.podNet.String()},
			Taints:   k.cfg.taints,
		},
	}
	created, err := nodes.Create(ctx, node, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		err = retry.RetryOnConflict(retry.DefaultBackoff, func() error {
			cur, err := nodes.Get(ctx, k.cfg.nodeName, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if cur.Labels == nil {
				cur.Labels = map[string]string{}
			}
			for key, v := range node.Labels {
				cur.Labels[key] = v
			}
			for _, t := range k.cfg.taints {
				found := false
				for _, c := range cur.Spec.Taints {
					if c.Key == t.Key && c.Effect == t.Effect {
						found = true
					}
				}
				if !found {
					cur.Spec.Taints = append(cur.Spec.Taints, t)
				}
			}
			if cur.Spec.PodCIDR == "" {
				cur.Spec.PodCIDR, cur.Spec.PodCIDRs = node.Spec.PodCIDR, node.Spec.PodCIDRs
			}
			created, err = nodes.Update(ctx, cur, metav1.UpdateOptions{})
			return err
		})
		if err == nil {
			log.Printf("node %s: already registered; labels and taints updated", k.cfg.nodeName)
		}
	} else if err == nil {
		log.Printf("node %s: registered", k.cfg.nodeName)
	}
	if err != nil {
		return err
	}
	k.nodeUID = created.UID
	return k.updateNodeStatus(ctx)
}

func (k *kubelet) updateNodeStatus(ctx context.Context) error {
	nodes := k.client.CoreV1().Nodes()
	return retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		cur, err := nodes.Get(ctx, k.cfg.nodeName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		k.nodeUID = cur.UID
		st := k.nodeStatus(&cur.Status)
		st.Images = cur.Status.Images
		st.VolumesInUse, st.VolumesAttached = cur.Status.VolumesInUse, cur.Status.VolumesAttached
		cur.Status = st
		_, err = nodes.UpdateStatus(ctx, cur, metav1.UpdateOptions{})
		return err
	})
}

func (k *kubelet) renewLease(ctx context.Context) error {
	leases := k.client.CoordinationV1().Leases(v1.NamespaceNodeLease)
	now := metav1.NewMicroTime(time.Now())
	lease, err := leases.Get(ctx, k.cfg.nodeName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		lease = &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Name: k.cfg.nodeName, Namespace: v1.NamespaceNodeLease},
			Spec: coordinationv1.LeaseSpec{
				HolderIdentity:       ptr.To(k.cfg.nodeName),
				LeaseDurationSeconds: ptr.To[int32](leaseDuration),
				RenewTime:            &now,
			},
		}
		if k.nodeUID != "" {
			lease.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: k.cfg.nodeName, UID: k.nodeUID}}
		}
		_, err = leases.Create(ctx, lease, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	lease.Spec.HolderIdentity = ptr.To(k.cfg.nodeName)
	lease.Spec.LeaseDurationSeconds = ptr.To[int32](leaseDuration)
	lease.Spec.RenewTime = &now
	_, err = leases.Update(ctx, lease, metav1.UpdateOptions{})
	return err
}

// heartbeat renews the node Lease and the Ready condition every 10 s until ctx ends.
func (k *kubelet) heartbeat(ctx context.Context) {
	if err := k.renewLease(ctx); err != nil {
		log.Printf("node lease: %v", err)
	}
	lease := time.NewTicker(renewInterval)
	status := time.NewTicker(statusInterval)
	defer lease.Stop()
	defer status.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-lease.C:
			if err := k.renewLease(ctx); err != nil && ctx.Err() == nil {
				log.Printf("node lease: %v", err)
			}
		case <-status.C:
			err := k.updateNodeStatus(ctx)
			if apierrors.IsNotFound(err) {
				log.Printf("node %s: deleted; registering again", k.cfg.nodeName)
				err = k.tryRegister(ctx)
			}
			if err != nil && ctx.Err() == nil {
				log.Printf("node status: %v", err)
			}
		}
	}
}

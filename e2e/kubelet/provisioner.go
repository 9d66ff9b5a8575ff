package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	v1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

const (
	annStorageProvisioner     = "volume.kubernetes.io/storage-provisioner"
	annBetaStorageProvisioner = "volume.beta.kubernetes.io/storage-provisioner"
	annSelectedNode           = "volume.kubernetes.io/selected-node"
	annProvisionedBy          = "pv.kubernetes.io/provisioned-by"
)

// provision is a local-path provisioner: a hostPath PersistentVolume in DIR/volumes for every
// pending claim whose class names --provisioner-name, and the directory's removal once a volume it
// made is released with reclaim policy Delete.
func (k *kubelet) provision(ctx context.Context) {
	factory := informers.NewSharedInformerFactory(k.client, 30*time.Second)
	pvcs := factory.Core().V1().PersistentVolumeClaims()
	pvs := factory.Core().V1().PersistentVolumes()
	classes := factory.Storage().V1().StorageClasses()
	queue := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]())
	defer queue.ShutDown()
	enqueue := func(prefix string) func(obj any) {
		return func(obj any) {
			if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
				queue.Add(prefix + key)
			}
		}
	}
	handler := func(prefix string) cache.ResourceEventHandlerFuncs {
		return cache.ResourceEventHandlerFuncs{
			AddFunc:    enqueue(prefix),
			UpdateFunc: func(_, obj any) { enqueue(prefix)(obj) },
		}
	}
	if _, err := pvcs.Informer().AddEventHandler(handler("pvc:")); err != nil {
		log.Printf("provisioner: %v", err)
		return
	}
	if _, err := pvs.Informer().AddEventHandler(handler("pv:")); err != nil {
		log.Printf("provisioner: %v", err)
		return
	}
	classes.Informer()
	factory.Start(ctx.Done())
	factory.WaitForCacheSync(ctx.Done())
	log.Printf("provisioner %s: watching claims", k.cfg.provisioner)
	go func() { <-ctx.Done(); queue.ShutDown() }()
	for {
		key, quit := queue.Get()
		if quit {
			return
		}
		var err error
		if name, ok := strings.CutPrefix(key, "pv:"); ok {
			err = k.syncPV(ctx, pvs.Lister().Get, name)
		} else {
			ns, name, _ := cache.SplitMetaNamespaceKey(strings.TrimPrefix(key, "pvc:"))
			pvc, gerr := pvcs.Lister().PersistentVolumeClaims(ns).Get(name)
			if gerr == nil {
				err = k.syncClaim(ctx, pvc, classes.Lister().Get)
			}
		}
		if err != nil && ctx.Err() == nil {
			log.Printf("provisioner: %s: %v (retrying)", key, err)
			queue.AddRateLimited(key)
		} else {
			queue.Forget(key)
		}
		queue.Done(key)
	}
}

func (k *kubelet) syncClaim(ctx context.Context, pvc *v1.PersistentVolumeClaim, class func(string) (*storagev1.StorageClass, error)) error {
	if pvc.Status.Phase != v1.ClaimPending || pvc.Spec.VolumeName != "" || pvc.DeletionTimestamp != nil {
		return nil
	}
	prov := pvc.Annotations[annStorageProvisioner]
	if prov == "" {
		prov = pvc.Annotations[annBetaStorageProvisioner]
	}
	if prov != k.cfg.provisioner {
		return nil
	}
	if pvc.Spec.VolumeMode != nil && *pvc.Spec.VolumeMode == v1.PersistentVolumeBlock {
		return nil
	}
	className := ""
	if pvc.Spec.StorageClassName != nil {
		className = *pvc.Spec.StorageClassName
	}
	if className != "" {
		sc, err := class(className)
		if err != nil {
			return fmt.Errorf("storage class %q: %v", className, err)
		}
		if sc.VolumeBindingMode != nil && *sc.VolumeBindingMode == storagev1.VolumeBindingWaitForFirstConsumer {
			node, ok := pvc.Annotations[annSelectedNode]
			if !ok || node != k.cfg.nodeName {
				return nil // not yet scheduled, or for another node
			}
		}
	}
	name := "pvc-" + string(pvc.UID)
	uid8 := string(pvc.UID)[:8]
	dir := filepath.Join(k.cfg.stateDir, "volumes", fmt.Sprintf("%s-%s-%s", pvc.Namespace, pvc.Name, uid8))
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return err
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		return err
	}
	size, ok := pvc.Spec.Resources.Requests[v1.ResourceStorage]
	if !ok {
		size = resource.MustParse("1Gi")
	}
	dirType := v1.HostPathDirectoryOrCreate
	pv := &v1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Annotations: map[string]string{annProvisionedBy: k.cfg.provisioner},
		},
		Spec: v1.PersistentVolumeSpec{
			Capacity:                      v1.ResourceList{v1.ResourceStorage: size},
			AccessModes:                   pvc.Spec.AccessModes,
			PersistentVolumeReclaimPolicy: v1.PersistentVolumeReclaimDelete,
			StorageClassName:              className,
			VolumeMode:                    pvc.Spec.VolumeMode,
			ClaimRef: &v1.ObjectReference{
				APIVersion: "v1", Kind: "PersistentVolumeClaim",
				Namespace: pvc.Namespace, Name: pvc.Name, UID: pvc.UID,
			},
			PersistentVolumeSource: v1.PersistentVolumeSource{HostPath: &v1.HostPathVolumeSource{Path: dir, Type: &dirType}},
			NodeAffinity: &v1.VolumeNodeAffinity{Required: &v1.NodeSelector{NodeSelectorTerms: []v1.NodeSelectorTerm{{
				MatchExpressions: []v1.NodeSelectorRequirement{{
					Key: "kubernetes.io/hostname", Operator: v1.NodeSelectorOpIn, Values: []string{k.cfg.nodeName},
				}},
			}}}},
		},
	}
	if className != "" {
		if sc, err := class(className); err == nil && sc.ReclaimPolicy != nil {
			pv.Spec.PersistentVolumeReclaimPolicy = *sc.ReclaimPolicy
		}
	}
	_, err := k.client.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	if err != nil {
		return err
	}
	log.Printf("provisioner: claim %s/%s: created volume %s (%s) at %s", pvc.Namespace, pvc.Name, name, size.String(), dir)
	return nil
}

func (k *kubelet) syncPV(ctx context.Context, get func(string) (*v1.PersistentVolume, error), name string) error {
	pv, err := get(name)
	if err != nil {
		return nil
	}
	if pv.Annotations[annProvisionedBy] != k.cfg.provisioner || pv.Status.Phase != v1.VolumeReleased ||
		pv.Spec.PersistentVolumeReclaimPolicy != v1.PersistentVolumeReclaimDelete || pv.DeletionTimestamp != nil {
		return nil
	}
	if hp := pv.Spec.HostPath; hp != nil {
		base := filepath.Join(k.cfg.stateDir, "volumes") + "/"
		if strings.HasPrefix(filepath.Clean(hp.Path), base) {
			if err := os.RemoveAll(hp.Path); err != nil {
				return err
			}
		} else {
			log.Printf("provisioner: volume %s: %s is not below %s: directory left alone", name, hp.Path, base)
		}
	}
	err = k.client.CoreV1().PersistentVolumes().Delete(ctx, name, metav1.DeleteOptions{
		Preconditions: &metav1.Preconditions{UID: &pv.UID},
	})
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	log.Printf("provisioner: volume %s released: deleted with its directory", name)
	return nil
}

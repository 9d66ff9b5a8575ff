package main

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	v1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/utils/ptr"
)

type kubelet struct {
	cfg      *config
	client   kubernetes.Interface
	recorder record.EventRecorder
	self     string
	ipam     *ipam
	nodeUID  types.UID

	// ctx ends at shutdown: pod work stops, nothing more is written to the API.
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	workers  map[string]*podWorker // by pod UID
	orphans  map[string]bool       // pods a previous kubelet started
	shutting bool
	running  sync.WaitGroup // worker goroutines
	seq      atomic.Int64
}

func (k *kubelet) runPods(ctx context.Context) error {
	sel := fields.OneTermEqualSelector("spec.nodeName", k.cfg.nodeName).String()
	// Pods a previous kubelet started: their processes are unknown to this one.
	for {
		list, err := k.client.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: sel})
		if err == nil {
			for i := range list.Items {
				p := &list.Items[i]
				if p.Status.Phase == v1.PodSucceeded || p.Status.Phase == v1.PodFailed {
					continue
				}
				if p.Status.StartTime != nil || len(p.Status.ContainerStatuses) > 0 || len(p.Status.InitContainerStatuses) > 0 {
					k.orphans[string(p.UID)] = true
					killOrphans(p)
					teardownNetwork(netnsName(string(p.UID)), vethName(string(p.UID)))
				}
			}
			break
		}
		log.Printf("list pods: %v (retrying)", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
	factory := informers.NewSharedInformerFactoryWithOptions(k.client, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.FieldSelector = sel }))
	inf := factory.Core().V1().Pods().Informer()
	_, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { k.onPod(obj) },
		UpdateFunc: func(_, obj any) { k.onPod(obj) },
		DeleteFunc: k.onPodDelete,
	})
	if err != nil {
		return err
	}
	factory.Start(ctx.Done())
	log.Printf("watching pods on node %s", k.cfg.nodeName)
	return nil
}

func (k *kubelet) onPod(obj any) {
	pod, ok := obj.(*v1.Pod)
	if !ok {
		return
	}
	uid := string(pod.UID)
	k.mu.Lock()
	w := k.workers[uid]
	if w == nil {
		if k.shutting {
			k.mu.Unlock()
			return
		}
		w = newPodWorker(k, pod)
		k.workers[uid] = w
		k.running.Add(1)
		go func() { defer k.running.Done(); w.run() }()
	}
	k.mu.Unlock()
	w.update(pod)
}

func (k *kubelet) onPodDelete(obj any) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	pod, ok := obj.(*v1.Pod)
	if !ok {
		return
	}
	k.mu.Lock()
	w := k.workers[string(pod.UID)]
	delete(k.workers, string(pod.UID))
	k.mu.Unlock()
	if w != nil {
		w.markGone()
	}
}

// shutdown stops every pod's processes and removes their network namespaces; API objects stay.
func (k *kubelet) shutdown() {
	k.mu.Lock()
	k.shutting = true
	k.mu.Unlock()
	k.cancel()
	done := make(chan struct{})
	go func() { k.running.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(k.cfg.shutdownWait + 15*time.Second):
		log.Printf("shutdown: some pods did not stop in time")
	}
}

// podWorker runs one pod: its network, volumes, containers, probes and status.
type podWorker struct {
	k        *kubelet
	uid      string
	ns, name string
	podDir   string // DIR/pods/<uid>: tokens, volumes, specs; removed with the pod
	logDir   string // DIR/pods/<ns>_<name>_<uid>: container logs; kept

	changed    chan struct{}
	gone       chan struct{}
	goneOnce   sync.Once
	finished   chan struct{} // all regular containers are done for good (or an init container failed)
	finishOnce sync.Once
	statusCh   chan struct{}
	statusStop chan struct{}
	statusDone chan struct{}
	pushMu     sync.Mutex

	runCtx    context.Context
	runCancel context.CancelFunc
	wg        sync.WaitGroup // the start goroutine and the container loops

	mu          sync.Mutex
	pod         *v1.Pod
	ip          string
	netns, veth string
	netUp       bool
	startTime   *metav1.Time
	initCtrs    []*container
	ctrs        []*container
	initDone    bool
	initFailed  bool
	phase       v1.PodPhase // set once the pod is terminal
	reason      string
	message     string
	terminating bool
	setupReason string
	setupMsg    string
	volumes     map[string]hostVolume
	tokens      []*tokenTarget
	hasSAMount  bool
}

func newPodWorker(k *kubelet, pod *v1.Pod) *podWorker {
	uid := string(pod.UID)
	w := &podWorker{
		k:          k,
		uid:        uid,
		ns:         pod.Namespace,
		name:       pod.Name,
		podDir:     filepath.Join(k.cfg.stateDir, "pods", uid),
		logDir:     filepath.Join(k.cfg.stateDir, "pods", fmt.Sprintf("%s_%s_%s", pod.Namespace, pod.Name, uid)),
		changed:    make(chan struct{}, 1),
		gone:       make(chan struct{}),
		finished:   make(chan struct{}),
		statusCh:   make(chan struct{}, 1),
		statusStop: make(chan struct{}),
		statusDone: make(chan struct{}),
		pod:        pod,
		netns:      netnsName(uid),
		veth:       vethName(uid),
		volumes:    map[string]hostVolume{},
	}
	w.runCtx, w.runCancel = context.WithCancel(k.ctx)
	for _, c := range pod.Spec.InitContainers {
		sidecar := c.RestartPolicy != nil && *c.RestartPolicy == v1.ContainerRestartPolicyAlways
		w.initCtrs = append(w.initCtrs, w.newContainer(c, true, sidecar))
	}
	for _, c := range pod.Spec.Containers {
		w.ctrs = append(w.ctrs, w.newContainer(c, false, false))
	}
	return w
}

func (w *podWorker) key() string { return w.ns + "/" + w.name }

func (w *podWorker) logf(format string, args ...any) {
	log.Printf("pod %s (%s): %s", w.key(), w.uid[:8], fmt.Sprintf(format, args...))
}

func (w *podWorker) latest() *v1.Pod {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pod
}

func (w *podWorker) update(pod *v1.Pod) {
	w.mu.Lock()
	w.pod = pod
	w.mu.Unlock()
	select {
	case w.changed <- struct{}{}:
	default:
	}
}

func (w *podWorker) markGone() { w.goneOnce.Do(func() { close(w.gone) }) }

func (w *podWorker) event(typ, reason, format string, args ...any) {
	w.k.recorder.Eventf(w.latest(), typ, reason, format, args...)
}

func (w *podWorker) requestStatus() {
	select {
	case w.statusCh <- struct{}{}:
	default:
	}
}

func (w *podWorker) statusLoop() {
	defer close(w.statusDone)
	for {
		select {
		case <-w.statusStop:
			return
		case <-w.statusCh:
			if !w.pushStatus() {
				// Try again shortly: the API server may be briefly away.
				time.AfterFunc(2*time.Second, w.requestStatus)
			}
		}
	}
}

func (w *podWorker) stopStatusLoop() {
	select {
	case <-w.statusStop:
	default:
		close(w.statusStop)
	}
	<-w.statusDone
}

func terminal(p v1.PodPhase) bool { return p == v1.PodSucceeded || p == v1.PodFailed }

func (w *podWorker) run() {
	pod := w.latest()
	switch {
	case terminal(pod.Status.Phase):
		w.mu.Lock()
		w.phase = pod.Status.Phase
		w.mu.Unlock()
		w.waitForDeletion()
		return
	case pod.DeletionTimestamp != nil:
		w.logf("deleted before it started")
		w.confirmDeletion()
		return
	case w.k.orphans[w.uid]:
		w.mu.Lock()
		w.phase, w.reason, w.message = v1.PodFailed, "NodeRestart", "The kubelet restarted and lost this pod's processes."
		w.mu.Unlock()
		w.logf("started by an earlier kubelet: marking it Failed (NodeRestart)")
		w.finalStatus()
		w.waitForDeletion()
		return
	}
	w.logf("admitted")
	go w.statusLoop()
	w.wg.Add(1)
	go w.start()
	finished := w.finished
	for {
		select {
		case <-w.k.ctx.Done():
			w.terminate(w.k.cfg.shutdownWait, false)
			return
		case <-w.gone:
			w.logf("pod object removed: killing its processes")
			w.terminate(0, false)
			return
		case <-w.changed:
			if p := w.latest(); p.DeletionTimestamp != nil {
				grace := int64(30)
				if p.DeletionGracePeriodSeconds != nil {
					grace = *p.DeletionGracePeriodSeconds
				} else if p.Spec.TerminationGracePeriodSeconds != nil {
					grace = *p.Spec.TerminationGracePeriodSeconds
				}
				w.logf("deletion requested (grace %ds)", grace)
				w.terminate(time.Duration(grace)*time.Second, true)
				return
			}
		case <-finished:
			finished = nil
			w.complete()
			w.waitForDeletion()
			return
		}
	}
}

// waitForDeletion waits, for a terminal pod, until it is deleted, and confirms the deletion.
func (w *podWorker) waitForDeletion() {
	for {
		if w.latest().DeletionTimestamp != nil {
			w.confirmDeletion()
			return
		}
		select {
		case <-w.k.ctx.Done():
			return
		case <-w.gone:
			return
		case <-w.changed:
		}
	}
}

// confirmDeletion removes the pod object for good, as a kubelet does once the pod's containers are
// gone: grace period 0, only this UID.
func (w *podWorker) confirmDeletion() {
	uid := types.UID(w.uid)
	for attempt := 0; attempt < 10; attempt++ {
		err := w.k.client.CoreV1().Pods(w.ns).Delete(w.k.ctx, w.name, metav1.DeleteOptions{
			GracePeriodSeconds: ptr.To[int64](0),
			Preconditions:      &metav1.Preconditions{UID: &uid},
		})
		if err == nil || apierrors.IsNotFound(err) || apierrors.IsConflict(err) || w.k.ctx.Err() != nil {
			w.logf("deleted")
			return
		}
		w.logf("delete: %v (retrying)", err)
		time.Sleep(time.Second)
	}
}

// start sets the pod up, runs the init containers in order and then starts the regular ones.
func (w *podWorker) start() {
	defer w.wg.Done()
	ctx := w.runCtx
	now := metav1.Now()
	w.mu.Lock()
	w.startTime = &now
	w.mu.Unlock()
	w.requestStatus()
	for {
		reason, err := w.setup(ctx)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return
		}
		w.mu.Lock()
		changed := w.setupMsg != err.Error()
		w.setupReason, w.setupMsg = reason, err.Error()
		w.mu.Unlock()
		if changed {
			w.logf("setup: %v (retrying)", err)
			w.event(v1.EventTypeWarning, "FailedMount", "%v", err)
			w.requestStatus()
		}
		if !sleepCtx(ctx, 2*time.Second) {
			return
		}
	}
	w.mu.Lock()
	w.setupReason, w.setupMsg = "", ""
	w.mu.Unlock()
	w.requestStatus()
	for _, c := range w.initCtrs {
		if c.sidecar {
			w.wg.Add(1)
			go func() { defer w.wg.Done(); c.run(ctx) }()
			for !c.isStarted() {
				if !sleepCtx(ctx, 200*time.Millisecond) {
					return
				}
			}
			continue
		}
		if !c.run(ctx) {
			if ctx.Err() != nil {
				return
			}
			w.mu.Lock()
			w.initFailed = true
			w.mu.Unlock()
			w.logf("init container %s failed", c.spec.Name)
			w.checkFinished()
			return
		}
	}
	w.mu.Lock()
	w.initDone = true
	w.mu.Unlock()
	w.requestStatus()
	for _, c := range w.ctrs {
		w.wg.Add(1)
		go func() { defer w.wg.Done(); c.run(ctx) }()
	}
}

func (w *podWorker) checkFinished() {
	w.mu.Lock()
	done := w.initFailed
	if w.initDone {
		done = true
		for _, c := range w.ctrs {
			if !c.final {
				done = false
			}
		}
	}
	w.mu.Unlock()
	if done {
		w.finishOnce.Do(func() { close(w.finished) })
	}
}

// finalPhase: Succeeded when every regular container exited 0, else Failed. Call with w.mu held.
func (w *podWorker) finalPhase() v1.PodPhase {
	if w.initFailed || !w.initDone {
		return v1.PodFailed
	}
	for _, c := range w.ctrs {
		if c.state.Terminated == nil || c.state.Terminated.ExitCode != 0 {
			return v1.PodFailed
		}
	}
	return v1.PodSucceeded
}

// complete ends a pod whose containers are all done and will not restart.
func (w *podWorker) complete() {
	w.runCancel()
	w.stopAll(2*time.Second, true)
	w.wg.Wait()
	w.mu.Lock()
	w.phase = w.finalPhase()
	phase := w.phase
	w.mu.Unlock()
	w.logf("completed: %s", phase)
	w.stopStatusLoop()
	w.teardown()
	w.finalStatus()
}

// terminate stops the pod's processes: with the grace period given (preStop hooks first) when
// graceful, then reports the final status and confirms the deletion; for a pod removed from the API
// or at shutdown only the processes and the network go.
func (w *podWorker) terminate(grace time.Duration, graceful bool) {
	w.mu.Lock()
	w.terminating = true
	w.mu.Unlock()
	w.runCancel()
	w.stopAll(grace, graceful)
	w.wg.Wait()
	if graceful && w.k.ctx.Err() == nil {
		w.mu.Lock()
		if w.phase == "" {
			w.phase = w.finalPhase()
		}
		w.mu.Unlock()
		w.stopStatusLoop()
		w.finalStatus()
		w.confirmDeletion()
	} else {
		w.stopStatusLoop()
	}
	w.teardown()
}

// stopAll stops every running container in parallel.
func (w *podWorker) stopAll(grace time.Duration, hooks bool) {
	var wg sync.WaitGroup
	for _, c := range append(append([]*container{}, w.ctrs...), w.initCtrs...) {
		wg.Add(1)
		go func() { defer wg.Done(); c.stop(grace, hooks, "Stopping container "+c.spec.Name) }()
	}
	wg.Wait()
}

// teardown removes the pod's network and state directory; the logs stay.
func (w *podWorker) teardown() {
	w.mu.Lock()
	ip, up := w.ip, w.netUp
	w.netUp = false
	w.tokens = nil
	w.mu.Unlock()
	if up || ip != "" {
		teardownNetwork(w.netns, w.veth)
	}
	if ip != "" && !w.latest().Spec.HostNetwork {
		w.k.ipam.release(ip)
	}
	if err := os.RemoveAll(w.podDir); err != nil {
		w.logf("remove %s: %v", w.podDir, err)
	}
}

// finalStatus writes the pod's last status; a terminal phase must not get lost.
func (w *podWorker) finalStatus() {
	for i := 0; i < 60 && !w.pushStatus(); i++ {
		if !sleepCtx(w.k.ctx, 2*time.Second) {
			return
		}
	}
}

// pushStatus writes the pod's status, retrying on conflicts with a fresh copy of the pod. It
// reports false when the status could not be written.
func (w *podWorker) pushStatus() bool {
	w.pushMu.Lock()
	defer w.pushMu.Unlock()
	ctx := w.k.ctx
	pods := w.k.client.CoreV1().Pods(w.ns)
	cur := w.latest()
	for attempt := 0; attempt < 10 && ctx.Err() == nil; attempt++ {
		if attempt > 0 {
			var err error
			cur, err = pods.Get(ctx, w.name, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return true
			}
			if err != nil {
				time.Sleep(500 * time.Millisecond)
				continue
			}
		}
		if string(cur.UID) != w.uid {
			return true
		}
		st := w.buildStatus(cur)
		if apiequality.Semantic.DeepEqual(cur.Status, st) {
			return true
		}
		upd := cur.DeepCopy()
		upd.Status = st
		_, err := pods.UpdateStatus(ctx, upd, metav1.UpdateOptions{})
		if err == nil || apierrors.IsNotFound(err) {
			return true
		}
		if !apierrors.IsConflict(err) {
			w.logf("status update: %v", err)
			time.Sleep(500 * time.Millisecond)
		}
	}
	return ctx.Err() != nil
}

func (w *podWorker) buildStatus(cur *v1.Pod) v1.PodStatus {
	w.mu.Lock()
	defer w.mu.Unlock()
	st := *cur.Status.DeepCopy()
	phase := w.phase
	if phase == "" {
		switch {
		case !w.initDone:
			phase = v1.PodPending
		default:
			phase = v1.PodPending
			for _, c := range w.ctrs {
				if c.everStarted {
					phase = v1.PodRunning
				}
			}
		}
	}
	if terminal(cur.Status.Phase) {
		phase = cur.Status.Phase // a terminal phase never changes
	}
	st.Phase = phase
	if w.reason != "" {
		st.Reason, st.Message = w.reason, w.message
	}
	st.HostIP = w.k.cfg.bridgeIP
	st.HostIPs = []v1.HostIP{{IP: w.k.cfg.bridgeIP}}
	if w.ip != "" {
		st.PodIP = w.ip
		st.PodIPs = []v1.PodIP{{IP: w.ip}}
	}
	if w.startTime != nil && st.StartTime == nil {
		st.StartTime = w.startTime
	}
	st.ObservedGeneration = cur.Generation
	if w.reason != "NodeRestart" {
		st.InitContainerStatuses = nil
		for _, c := range w.initCtrs {
			st.InitContainerStatuses = append(st.InitContainerStatuses, c.status())
		}
		st.ContainerStatuses = nil
		for _, c := range w.ctrs {
			st.ContainerStatuses = append(st.ContainerStatuses, c.status())
		}
	} else {
		for i := range st.ContainerStatuses {
			cs := &st.ContainerStatuses[i]
			if cs.State.Terminated == nil {
				cs.LastTerminationState = cs.State
				cs.State = v1.ContainerState{Terminated: &v1.ContainerStateTerminated{
					ExitCode: 137, Reason: "ContainerStatusUnknown",
					Message:    "The container could not be located when the pod was terminated",
					FinishedAt: metav1.Now(),
				}}
			}
			cs.Ready = false
			cs.Started = ptr.To(false)
		}
	}

	gen := cur.Generation
	set := func(t v1.PodConditionType, ok bool, reason, msg string) {
		s := v1.ConditionFalse
		if ok {
			s = v1.ConditionTrue
			reason, msg = "", ""
		}
		for i := range st.Conditions {
			c := &st.Conditions[i]
			if c.Type == t {
				if c.Status != s {
					c.LastTransitionTime = metav1.Now()
				}
				c.Status, c.Reason, c.Message, c.ObservedGeneration = s, reason, msg, gen
				return
			}
		}
		st.Conditions = append(st.Conditions, v1.PodCondition{
			Type: t, Status: s, Reason: reason, Message: msg, LastTransitionTime: metav1.Now(), ObservedGeneration: gen,
		})
	}
	if w.reason == "NodeRestart" {
		set(v1.ContainersReady, false, "PodCompleted", "")
		set(v1.PodReady, false, "PodCompleted", "")
		return st
	}
	set(v1.PodReadyToStartContainers, w.netUp, "", "")
	var notInit []string
	if !w.initDone {
		for _, c := range w.initCtrs {
			if !c.sidecar && (c.state.Terminated == nil || c.state.Terminated.ExitCode != 0) {
				notInit = append(notInit, c.spec.Name)
			}
		}
	}
	set(v1.PodInitialized, w.initDone || len(notInit) == 0,
		"ContainersNotInitialized", fmt.Sprintf("containers with incomplete status: %v", notInit))
	var unready []string
	for _, c := range w.ctrs {
		if !c.ready {
			unready = append(unready, c.spec.Name)
		}
	}
	allReady := len(unready) == 0 && w.initDone
	if terminal(phase) {
		set(v1.ContainersReady, false, "PodCompleted", "")
		set(v1.PodReady, false, "PodCompleted", "")
	} else {
		msg := fmt.Sprintf("containers with unready status: %v", unready)
		set(v1.ContainersReady, allReady, "ContainersNotReady", msg)
		ready, rmsg := allReady, msg
		if ready {
			for _, g := range cur.Spec.ReadinessGates {
				found := false
				for _, c := range cur.Status.Conditions {
					if c.Type == g.ConditionType && c.Status == v1.ConditionTrue {
						found = true
					}
				}
				if !found {
					ready, rmsg = false, fmt.Sprintf("corresponding condition of pod readiness gate %q does not exist.", g.ConditionType)
				}
			}
		}
		set(v1.PodReady, ready, "ContainersNotReady", rmsg)
	}
	return st
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// killOrphans kills the processes an earlier kubelet ran for pod, when they still run: their
// process groups, named by the containers' IDs (kret://<pid>-<n>), and only when the process's
// environment still names the pod.
func killOrphans(pod *v1.Pod) {
	hostname := podHostname(pod)
	for _, cs := range append(append([]v1.ContainerStatus{}, pod.Status.InitContainerStatuses...), pod.Status.ContainerStatuses...) {
		if cs.State.Running == nil {
			continue
		}
		var pid, n int
		if _, err := fmt.Sscanf(cs.ContainerID, "kret://%d-%d", &pid, &n); err != nil || pid <= 1 {
			continue
		}
		env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		if err != nil || !bytes.Contains(env, []byte("\x00HOSTNAME="+hostname+"\x00")) {
			continue
		}
		log.Printf("pod %s/%s: killing process group %d left by an earlier kubelet", pod.Namespace, pod.Name, pid)
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}
}

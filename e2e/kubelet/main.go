// Command kret-kubelet plays one Kubernetes node for kret's end-to-end tests: it registers a Node,
// runs the pods bound to it as local processes (each in its own network and mount namespace),
// reports their status, serves their logs to the API server and provisions hostPath volumes for
// claims of its storage class. It is not a kubelet: no images, no cgroups, no CRI; just enough for
// the operator, its training Jobs and its predictor Deployments to run against a real control plane.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/record"
)

const kubeletVersion = "v1.35.4"

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

type config struct {
	kubeconfig   string
	nodeName     string
	stateDir     string
	bridge       string
	bridgeIP     string
	podCIDR      string
	capacity     string
	nodeLabels   string
	nodeTaints   string
	entrypoint   string
	imageEnv     multiFlag
	apiHost      string
	apiPort      int
	caFile       string
	provisioner  string
	port         int
	shutdownWait time.Duration

	capacityList v1.ResourceList
	labels       map[string]string
	taints       []v1.Taint
	podNet       *net.IPNet
}

func main() {
	// The container helper: re-executed by the kubelet itself, before anything else is set up.
	if len(os.Args) == 3 && os.Args[1] == "--exec-container" {
		execContainer(os.Args[2])
		return
	}
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	log.SetPrefix("kret-kubelet ")

	cfg := &config{}
	flag.StringVar(&cfg.kubeconfig, "kubeconfig", "", "kubeconfig of the API server (admin)")
	flag.StringVar(&cfg.nodeName, "node-name", "kret-node", "name of the Node this kubelet plays")
	flag.StringVar(&cfg.stateDir, "state-dir", "", "directory for pod state, logs and provisioned volumes")
	flag.StringVar(&cfg.bridge, "bridge", "kret0", "Linux bridge the pods' veths are attached to")
	flag.StringVar(&cfg.bridgeIP, "bridge-ip", "10.244.0.1", "the bridge's address: the node's InternalIP and the pods' gateway")
	flag.StringVar(&cfg.podCIDR, "pod-cidr", "10.244.0.0/24", "pod addresses are allocated from this range")
	flag.StringVar(&cfg.capacity, "capacity", "cpu=8,memory=32Gi,pods=110", "node capacity (= allocatable), name=quantity,...")
	flag.StringVar(&cfg.nodeLabels, "node-labels", "", "extra node labels k=v,...")
	flag.StringVar(&cfg.nodeTaints, "node-taints", "", "node taints key=value:Effect,...")
	flag.StringVar(&cfg.entrypoint, "entrypoint", "", "the image's entrypoint (kretctl): run when a container has no command, and in place of a command kretctl")
	flag.Var(&cfg.imageEnv, "image-env", "K=V set in every container's environment, as an image's ENV (repeatable)")
	flag.StringVar(&cfg.apiHost, "api-host", "10.244.0.1", "KUBERNETES_SERVICE_HOST given to pods")
	flag.IntVar(&cfg.apiPort, "api-port", 6443, "KUBERNETES_SERVICE_PORT given to pods")
	flag.StringVar(&cfg.caFile, "ca-file", "", "the cluster CA certificate, written as ca.crt next to each pod's service account token")
	flag.StringVar(&cfg.provisioner, "provisioner-name", "kret.dev/local-path", "storage provisioner name this kubelet provisions hostPath volumes for")
	flag.IntVar(&cfg.port, "port", 10250, "HTTPS port of the container logs API (on --bridge-ip)")
	flag.DurationVar(&cfg.shutdownWait, "shutdown-grace", 3*time.Second, "on SIGTERM, how long pod processes get between SIGTERM and SIGKILL")
	flag.Parse()
	if flag.NArg() > 0 {
		log.Fatalf("unexpected arguments: %v", flag.Args())
	}
	if err := cfg.complete(); err != nil {
		log.Fatalf("%v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	restCfg, err := clientcmd.BuildConfigFromFlags("", cfg.kubeconfig)
	if err != nil {
		log.Fatalf("kubeconfig: %v", err)
	}
	restCfg.QPS = 50
	restCfg.Burst = 100
	restCfg.UserAgent = "kret-kubelet/" + kubeletVersion
	client, err := kubernetes.NewForConfig(restCfg)
	if err != nil {
		log.Fatalf("client: %v", err)
	}
	self, err := os.Executable()
	if err != nil {
		log.Fatalf("own executable: %v", err)
	}

	broadcaster := record.NewBroadcaster(record.WithContext(ctx))
	broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: client.CoreV1().Events("")})
	recorder := broadcaster.NewRecorder(scheme.Scheme, v1.EventSource{Component: "kubelet", Host: cfg.nodeName})

	k := &kubelet{
		cfg:      cfg,
		client:   client,
		recorder: recorder,
		self:     self,
		ipam:     newIPAM(cfg.podNet, net.ParseIP(cfg.bridgeIP)),
		workers:  map[string]*podWorker{},
		orphans:  map[string]bool{},
	}
	k.ctx, k.cancel = context.WithCancel(context.Background())

	if err := k.registerNode(ctx); err != nil {
		log.Fatalf("register node: %v", err)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); k.heartbeat(ctx) }()
	go func() { defer wg.Done(); k.provision(ctx) }()
	go k.serveLogs(ctx)
	if err := k.runPods(ctx); err != nil {
		log.Fatalf("pods: %v", err)
	}
	<-ctx.Done()
	log.Printf("shutting down: stopping pod processes")
	k.shutdown()
	wg.Wait()
	broadcaster.Shutdown()
	log.Printf("stopped")
}

func (c *config) complete() error {
	if c.kubeconfig == "" || c.stateDir == "" {
		return fmt.Errorf("--kubeconfig and --state-dir are required")
	}
	if c.entrypoint == "" {
		return fmt.Errorf("--entrypoint is required")
	}
	abs, err := filepath.Abs(c.stateDir)
	if err != nil {
		return err
	}
	c.stateDir = abs
	for _, d := range []string{c.stateDir, filepath.Join(c.stateDir, "pods"), filepath.Join(c.stateDir, "volumes")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if c.entrypoint, err = filepath.Abs(c.entrypoint); err != nil {
		return err
	}
	_, c.podNet, err = net.ParseCIDR(c.podCIDR)
	if err != nil || c.podNet.IP.To4() == nil {
		return fmt.Errorf("--pod-cidr %q: an IPv4 CIDR is needed", c.podCIDR)
	}
	if ip := net.ParseIP(c.bridgeIP); ip == nil || ip.To4() == nil {
		return fmt.Errorf("--bridge-ip %q: an IPv4 address is needed", c.bridgeIP)
	}
	c.capacityList = v1.ResourceList{}
	for _, kv := range splitList(c.capacity) {
		name, q, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("--capacity %q: name=quantity expected", kv)
		}
		qty, err := resource.ParseQuantity(q)
		if err != nil {
			return fmt.Errorf("--capacity %q: %v", kv, err)
		}
		c.capacityList[v1.ResourceName(name)] = qty
	}
	for name, def := range map[v1.ResourceName]string{"cpu": "8", "memory": "32Gi", "pods": "110", "ephemeral-storage": "100Gi"} {
		if _, ok := c.capacityList[name]; !ok {
			c.capacityList[name] = resource.MustParse(def)
		}
	}
	c.labels = map[string]string{}
	for _, kv := range splitList(c.nodeLabels) {
		k, v, _ := strings.Cut(kv, "=")
		c.labels[k] = v
	}
	for _, t := range splitList(c.nodeTaints) {
		kv, effect, ok := strings.Cut(t, ":")
		if !ok {
			return fmt.Errorf("--node-taints %q: key[=value]:Effect expected", t)
		}
		k, v, _ := strings.Cut(kv, "=")
		c.taints = append(c.taints, v1.Taint{Key: k, Value: v, Effect: v1.TaintEffect(effect)})
	}
	for _, kv := range c.imageEnv {
		if !strings.Contains(kv, "=") {
			return fmt.Errorf("--image-env %q: K=V expected", kv)
		}
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

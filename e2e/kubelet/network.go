package main

import (
	"encoding/binary"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"sync"
)

// ipam hands out pod addresses from --pod-cidr: never the network address, the bridge's address or
// the broadcast address; the lowest free one first, so freed addresses are reused.
type ipam struct {
	mu     sync.Mutex
	base   uint32
	size   uint32
	bridge uint32
	used   map[uint32]bool
	ones   int
}

func newIPAM(n *net.IPNet, bridge net.IP) *ipam {
	ones, bits := n.Mask.Size()
	return &ipam{
		base:   binary.BigEndian.Uint32(n.IP.To4()),
		size:   uint32(1) << uint(bits-ones),
		bridge: binary.BigEndian.Uint32(bridge.To4()),
		used:   map[uint32]bool{},
		ones:   ones,
	}
}

func (a *ipam) allocate() (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := uint32(1); i+1 < a.size; i++ {
		ip := a.base + i
		if ip == a.bridge || a.used[ip] {
			continue
		}
		a.used[ip] = true
		b := make(net.IP, 4)
		binary.BigEndian.PutUint32(b, ip)
		return b.String(), nil
	}
	return "", fmt.Errorf("no free address in %d-address pod range", a.size)
}

func (a *ipam) release(ip string) {
	p := net.ParseIP(ip).To4()
	if p == nil {
		return
	}
	a.mu.Lock()
	delete(a.used, binary.BigEndian.Uint32(p))
	a.mu.Unlock()
}

func run(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

func netnsName(uid string) string { return "kret-pod-" + uid[:8] }
func vethName(uid string) string  { return "vk" + uid[:8] }

// setupNetwork creates the pod's network namespace and a veth pair: the host end on the bridge, the
// pod end as eth0 with ip/prefix and a default route via the bridge.
func (k *kubelet) setupNetwork(ns, veth, ip string) error {
	teardownNetwork(ns, veth) // leftovers of an earlier attempt
	prefix := fmt.Sprintf("%s/%d", ip, k.ipam.ones)
	steps := [][]string{
		{"netns", "add", ns},
		{"link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns},
		{"link", "set", veth, "master", k.cfg.bridge},
		{"link", "set", veth, "up"},
		{"-n", ns, "link", "set", "lo", "up"},
		{"-n", ns, "addr", "add", prefix, "dev", "eth0"},
		{"-n", ns, "link", "set", "eth0", "up"},
		{"-n", ns, "route", "add", "default", "via", k.cfg.bridgeIP},
	}
	for _, s := range steps {
		if err := run("ip", s...); err != nil {
			teardownNetwork(ns, veth)
			return err
		}
	}
	return nil
}

func teardownNetwork(ns, veth string) {
	_ = exec.Command("ip", "link", "del", veth).Run()
	_ = exec.Command("ip", "netns", "del", ns).Run()
}

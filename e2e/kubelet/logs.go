package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

func selfSigned(ip, name string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(10 * 365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP(ip)},
		DNSNames:     []string{name},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// serveLogs serves the kubelet API the API server needs for kubectl logs.
func (k *kubelet) serveLogs(ctx context.Context) {
	cert, err := selfSigned(k.cfg.bridgeIP, k.cfg.nodeName)
	if err != nil {
		log.Fatalf("kubelet API certificate: %v", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	mux.HandleFunc("/containerLogs/", k.containerLogs)
	addr := net.JoinHostPort(k.cfg.bridgeIP, strconv.Itoa(k.cfg.port))
	srv := &http.Server{
		Addr:              addr,
		Handler:           mux,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequestClientCert},
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	for {
		log.Printf("kubelet API on https://%s", addr)
		err := srv.ListenAndServeTLS("", "")
		if errors.Is(err, http.ErrServerClosed) || ctx.Err() != nil {
			return
		}
		log.Printf("kubelet API: %v (retrying)", err)
		if !sleepCtx(ctx, 2*time.Second) {
			return
		}
	}
}

type logSource struct {
	path       string
	start, end int64 // end < 0: to the end of the file
	live       <-chan struct{}
	running    bool
}

// findLog locates a container's log: the current run (or, with previous, the one before).
func (k *kubelet) findLog(ns, pod, ctr string, previous bool) (*logSource, error) {
	k.mu.Lock()
	var best *podWorker
	for _, w := range k.workers {
		if w.ns == ns && w.name == pod {
			if best == nil || !w.isDone() {
				best = w
			}
		}
	}
	k.mu.Unlock()
	if best != nil {
		best.mu.Lock()
		defer best.mu.Unlock()
		for _, c := range append(append([]*container{}, best.ctrs...), best.initCtrs...) {
			if c.spec.Name != ctr {
				continue
			}
			if !c.hadRun {
				return nil, fmt.Errorf("container %q in pod %q is waiting to start: %s", ctr, pod, waitingReason(c))
			}
			if previous {
				if !c.hasPrev {
					return nil, fmt.Errorf("previous terminated container %q in pod %q not found", ctr, pod)
				}
				return &logSource{path: c.logPath, start: c.prevStart, end: c.prevEnd}, nil
			}
			return &logSource{path: c.logPath, start: c.runStart, end: -1, live: c.exited, running: c.state.Running != nil}, nil
		}
		return nil, fmt.Errorf("container %s is not valid for pod %s", ctr, pod)
	}
	// A pod this kubelet no longer runs: its last log file, whole.
	matches, _ := filepath.Glob(filepath.Join(k.cfg.stateDir, "pods", fmt.Sprintf("%s_%s_*", ns, pod), ctr+".log"))
	if len(matches) == 0 {
		return nil, fmt.Errorf("pod %s/%s not found on node %s", ns, pod, k.cfg.nodeName)
	}
	sort.Slice(matches, func(i, j int) bool { return modTime(matches[i]).Before(modTime(matches[j])) })
	return &logSource{path: matches[len(matches)-1], end: -1}, nil
}

func waitingReason(c *container) string {
	if c.state.Waiting != nil {
		return c.state.Waiting.Reason
	}
	return "ContainerCreating"
}

func modTime(p string) time.Time {
	st, err := os.Stat(p)
	if err != nil {
		return time.Time{}
	}
	return st.ModTime()
}

func (w *podWorker) isDone() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.phase != "" || w.terminating
}

// containerLogs serves GET /containerLogs/{namespace}/{pod}/{container}?follow&tailLines&previous&limitBytes.
func (k *kubelet) containerLogs(rw http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, "/containerLogs/"), "/"), "/")
	if len(parts) != 3 {
		http.Error(rw, "expected /containerLogs/{namespace}/{pod}/{container}", http.StatusBadRequest)
		return
	}
	q := r.URL.Query()
	follow := q.Get("follow") == "true" || q.Get("follow") == "1"
	previous := q.Get("previous") == "true" || q.Get("previous") == "1"
	src, err := k.findLog(parts[0], parts[1], parts[2], previous)
	if err != nil {
		http.Error(rw, err.Error(), http.StatusNotFound)
		return
	}
	f, err := os.Open(src.path)
	if err != nil {
		http.Error(rw, err.Error(), http.StatusNotFound)
		return
	}
	defer f.Close()
	var limit int64 = -1
	if s := q.Get("limitBytes"); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
			limit = n
		}
	}
	readRange := func(from, to int64) []byte {
		if to >= 0 && to <= from {
			return nil
		}
		if _, err := f.Seek(from, io.SeekStart); err != nil {
			return nil
		}
		var rd io.Reader = f
		if to >= 0 {
			rd = io.LimitReader(f, to-from)
		}
		b, _ := io.ReadAll(rd)
		return b
	}
	data := readRange(src.start, src.end)
	pos := src.start + int64(len(data))
	if s := q.Get("tailLines"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n >= 0 {
			data = lastLines(data, n)
		}
	}
	rw.Header().Set("Content-Type", "text/plain")
	rw.WriteHeader(http.StatusOK)
	written := int64(0)
	write := func(b []byte) bool {
		if limit >= 0 && written+int64(len(b)) > limit {
			b = b[:limit-written]
		}
		if len(b) > 0 {
			if _, err := rw.Write(b); err != nil {
				return false
			}
			written += int64(len(b))
		}
		if fl, ok := rw.(http.Flusher); ok {
			fl.Flush()
		}
		return limit < 0 || written < limit
	}
	if !write(data) || !follow || src.live == nil || src.end >= 0 {
		return
	}
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		ended := false
		select {
		case <-r.Context().Done():
			return
		case <-src.live:
			ended = true
		case <-tick.C:
		}
		b := readRange(pos, -1)
		// Only whole lines while the process runs.
		if !ended {
			if i := lastNewline(b); i >= 0 {
				b = b[:i+1]
			} else {
				b = nil
			}
		}
		pos += int64(len(b))
		if !write(b) || ended {
			return
		}
	}
}

func lastNewline(b []byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == '\n' {
			return i
		}
	}
	return -1
}

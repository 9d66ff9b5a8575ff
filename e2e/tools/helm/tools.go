//go:build tools

// Package tools pins Helm so that `go build helm.sh/helm/v4/cmd/helm` builds it at the version in
// go.mod.
package tools

import _ "helm.sh/helm/v4/cmd/helm"

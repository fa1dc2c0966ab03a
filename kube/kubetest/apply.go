package kubetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
)

// fieldManager owns the fields that Apply sets.
const fieldManager = "kubetest"

// Apply server-side applies every object of a multi-document YAML (or JSON)
// as admin. Namespaced objects without a namespace go to "default". A status
// in the YAML is applied to the status subresource too, and a Node is created
// with its status at once, so it never shows without its capacity.
func (c *Cluster) Apply(ctx context.Context, yaml string) error {
	return c.ApplyIn(ctx, "default", yaml)
}

// ApplyIn is Apply with namespace for the namespaced objects that name none.
func (c *Cluster) ApplyIn(ctx context.Context, namespace, yaml string) error {
	objs, err := decodeYAML(yaml)
	if err != nil {
		return err
	}
	for _, obj := range objs {
		if err := c.applyOne(ctx, namespace, obj); err != nil {
			return err
		}
	}
	return nil
}

func (c *Cluster) applyOne(ctx context.Context, namespace string, obj *unstructured.Unstructured) error {
	gvk := obj.GroupVersionKind()
	what := fmt.Sprintf("%s %s", gvk.Kind, obj.GetName())
	mapping, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		c.mapper.Reset() // a CRD applied a moment ago
		mapping, err = c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	if err != nil {
		return fmt.Errorf("apply %s: %w", what, err)
	}
	var ri dynamic.ResourceInterface = c.dynamic.Resource(mapping.Resource)
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		if obj.GetNamespace() == "" {
			obj.SetNamespace(namespace)
		}
		ri = c.dynamic.Resource(mapping.Resource).Namespace(obj.GetNamespace())
		what = fmt.Sprintf("%s %s/%s", gvk.Kind, obj.GetNamespace(), obj.GetName())
	}
	data, err := json.Marshal(obj.Object)
	if err != nil {
		return fmt.Errorf("apply %s: %w", what, err)
	}
	_, hasStatus := obj.Object["status"]
	if hasStatus {
		// Created with its status in one step where the API keeps it (Nodes):
		// kwok never sees a node without its capacity.
		_, err := ri.Create(ctx, obj, metav1.CreateOptions{FieldManager: fieldManager})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create %s: %w", what, err)
		}
	}
	force := true
	opts := metav1.PatchOptions{FieldManager: fieldManager, Force: &force}
	if _, err := ri.Patch(ctx, obj.GetName(), types.ApplyPatchType, data, opts); err != nil {
		return fmt.Errorf("apply %s: %w", what, err)
	}
	if hasStatus {
		if _, err := ri.Patch(ctx, obj.GetName(), types.ApplyPatchType, data, opts, "status"); err != nil {
			return fmt.Errorf("apply the status of %s: %w", what, err)
		}
	}
	return nil
}

// decodeYAML splits a multi-document YAML into objects, skipping empty ones.
func decodeYAML(yaml string) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(yaml), 4096)
	var objs []*unstructured.Unstructured
	for i := 1; ; i++ {
		var m map[string]any
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("decode YAML document %d: %w", i, err)
		}
		if len(m) == 0 {
			continue
		}
		obj := &unstructured.Unstructured{Object: m}
		if obj.GetKind() == "" || obj.GetAPIVersion() == "" || obj.GetName() == "" {
			return nil, fmt.Errorf("YAML document %d needs apiVersion, kind and metadata.name", i)
		}
		objs = append(objs, obj)
	}
}

// Kubectl runs the kubectl built with the control plane with --kubeconfig
// (AdminKubeconfig when empty) and args, and returns its standard output. The
// error carries the standard error. The discovery cache stays in Dir.
func (c *Cluster) Kubectl(ctx context.Context, kubeconfig string, args ...string) (string, error) {
	if kubeconfig == "" {
		kubeconfig = c.AdminKubeconfig
	}
	cmd := exec.CommandContext(ctx, c.KubectlPath, append([]string{"--kubeconfig=" + kubeconfig}, args...)...)
	cmd.Env = append(os.Environ(), "KUBECACHEDIR="+filepath.Join(c.Dir, "kube-cache"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

var notDNS = regexp.MustCompile(`[^a-z0-9]+`)

// Namespace creates a fresh namespace named after the test and deletes it
// when the test ends.
func (c *Cluster) Namespace(t testing.TB) string {
	t.Helper()
	base := strings.Trim(notDNS.ReplaceAllString(strings.ToLower(t.Name()), "-"), "-")
	if len(base) > 50 {
		base = strings.TrimRight(base[:50], "-")
	}
	suffix := make([]byte, 3)
	_, _ = rand.Read(suffix)
	name := base + "-" + hex.EncodeToString(suffix)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if _, err := c.Admin.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create namespace %s: %v", name, err)
	}
	// Pods are admitted only once the namespace's default ServiceAccount
	// exists; the wait has a deadline of its own.
	err := Until(context.Background(), "wait for the default ServiceAccount of namespace "+name, func(ctx context.Context) (bool, string, error) {
		_, err := c.Admin.CoreV1().ServiceAccounts(name).Get(ctx, "default", metav1.GetOptions{})
		return err == nil, "", err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := c.Admin.CoreV1().Namespaces().Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
			t.Logf("delete namespace %s: %v", name, err)
		}
	})
	return name
}

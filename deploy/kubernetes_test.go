package deploy_test

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	k8syaml "sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite kubernetes/base/prometheusrule.yaml from prometheus/rules")

const (
	kustomizeDir   = "kubernetes/base"
	prometheusRule = kustomizeDir + "/prometheusrule.yaml"
)

// generatePrometheusRule wraps the groups of every prometheus/rules file,
// unchanged and in file-name order, in one PrometheusRule: the rules have
// one source of truth, tested by promtool in deploy/prometheus.
func generatePrometheusRule(t *testing.T) []byte {
	t.Helper()
	type ruleFile struct {
		Groups []yaml.Node `yaml:"groups"`
	}
	var doc struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Metadata   struct {
			Name string `yaml:"name"`
		} `yaml:"metadata"`
		Spec ruleFile `yaml:"spec"`
	}
	doc.APIVersion, doc.Kind, doc.Metadata.Name = "monitoring.coreos.com/v1", "PrometheusRule", "entpipe"
	for _, f := range glob(t, "prometheus/rules/*.rules.yml") { // Glob sorts
		var rf ruleFile
		decodeFile(t, f, &rf)
		doc.Spec.Groups = append(doc.Spec.Groups, rf.Groups...)
	}
	var b bytes.Buffer
	b.WriteString("# Generated from deploy/prometheus/rules/*.rules.yml by\n" +
		"# `go test ./deploy -run TestPrometheusRule -update`. Do not edit: change\n" +
		"# the rules (and their promtool tests) there, then regenerate.\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestPrometheusRuleGenerated fails when prometheusrule.yaml is not what
// the rules of deploy/prometheus generate (-update rewrites it).
func TestPrometheusRuleGenerated(t *testing.T) {
	want := generatePrometheusRule(t)
	if *update {
		if err := os.WriteFile(prometheusRule, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(prometheusRule)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from deploy/prometheus/rules: run `go test ./deploy -run TestPrometheusRule -update`", prometheusRule)
	}
	alerts := 0
	for _, f := range glob(t, "prometheus/rules/*.rules.yml") {
		alerts += strings.Count(readFile(t, f), "- alert: ")
	}
	if n := bytes.Count(got, []byte("- alert: ")); n != alerts || n == 0 {
		t.Errorf("%s holds %d alerts, deploy/prometheus/rules %d", prometheusRule, n, alerts)
	}
}

type kustomization struct {
	Resources          []string `yaml:"resources"`
	ConfigMapGenerator []struct {
		Name  string   `yaml:"name"`
		Files []string `yaml:"files"`
	} `yaml:"configMapGenerator"`
	SecretGenerator []struct {
		Name  string   `yaml:"name"`
		Files []string `yaml:"files"`
	} `yaml:"secretGenerator"`
	Images []struct {
		Name    string `yaml:"name"`
		NewName string `yaml:"newName"`
		NewTag  string `yaml:"newTag"`
	} `yaml:"images"`
}

// TestKubernetesReferences: every resource and ConfigMap file exists, the
// Secret's files are the ones the README says to create (kept out of git),
// and the image is compose's.
func TestKubernetesReferences(t *testing.T) {
	var k kustomization
	decodeFile(t, kustomizeDir+"/kustomization.yaml", &k)
	for _, r := range k.Resources {
		var n yaml.Node
		decodeFile(t, filepath.Join(kustomizeDir, r), &n)
		strictDecode(t, r+": "+lookup(&n, "kind").Value, &n)
	}
	for _, g := range k.ConfigMapGenerator {
		for _, f := range g.Files {
			mustExist(t, "configMapGenerator "+g.Name, filepath.Join(kustomizeDir, fileSource(f)))
		}
	}
	readme := readFile(t, "kubernetes/README.md")
	for _, f := range secretFiles(k) {
		if !strings.HasPrefix(f, "secrets/") || !strings.Contains(readme, "base/"+f) {
			t.Errorf("secret file %s: want it under secrets/ (git-ignored) and its creation in kubernetes/README.md", f)
		}
	}
	if len(k.Images) != 1 || k.Images[0].Name != image || k.Images[0].NewName != "" || k.Images[0].NewTag != imageTag {
		t.Errorf("kustomize images %+v: want %s with tag %s", k.Images, image, imageTag)
	}
}

// fileSource is the path of a generator entry "[key=]path".
func fileSource(entry string) string {
	if _, path, ok := strings.Cut(entry, "="); ok {
		return path
	}
	return entry
}

func secretFiles(k kustomization) []string {
	var files []string
	for _, g := range k.SecretGenerator {
		for _, f := range g.Files {
			files = append(files, fileSource(f))
		}
	}
	return files
}

// TestIntegrationKustomizeBuild renders the base with the real kustomize
// (kubectl kustomize), on a copy with placeholder secret files, and checks
// the pod: image, port, probes, mounts of the config and its secrets, and
// that the ServiceMonitor reaches the Service's port.
func TestIntegrationKustomizeBuild(t *testing.T) {
	kubectl := requireTool(t, "kubectl", "https://kubernetes.io/docs/tasks/tools/ (kustomize is built in)")
	var k kustomization
	decodeFile(t, kustomizeDir+"/kustomization.yaml", &k)
	dir := filepath.Join(t.TempDir(), "base")
	if err := os.CopyFS(dir, os.DirFS(kustomizeDir)); err != nil {
		t.Fatal(err)
	}
	for _, f := range secretFiles(k) {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("placeholder-for-the-test"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command(kubectl, "kustomize", dir).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("kubectl kustomize: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	objs := map[string]*yaml.Node{} // kind → object
	dec := yaml.NewDecoder(bytes.NewReader(out))
	for {
		var n yaml.Node
		if err := dec.Decode(&n); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		kind := lookup(&n, "kind").Value
		objs[kind] = &n
		strictDecode(t, kind, &n)
	}
	for _, kind := range []string{"ConfigMap", "Secret", "DaemonSet", "Service", "ServiceMonitor", "PrometheusRule"} {
		if objs[kind] == nil {
			t.Fatalf("kustomize output has no %s", kind)
		}
	}

	var ds struct {
		Spec struct {
			Template struct {
				Spec struct {
					Containers     []container `yaml:"containers"`
					InitContainers []container `yaml:"initContainers"`
					Volumes        []struct {
						Name      string
						ConfigMap struct{ Name string } `yaml:"configMap"`
						Secret    struct {
							SecretName string `yaml:"secretName"`
						} `yaml:"secret"`
					}
				}
			}
		}
	}
	if err := objs["DaemonSet"].Decode(&ds); err != nil {
		t.Fatal(err)
	}
	pod := ds.Spec.Template.Spec
	for _, c := range append(pod.Containers, pod.InitContainers...) {
		if c.Image != image+":"+imageTag {
			t.Errorf("container %s: image %q, want %s:%s (as compose)", c.Name, c.Image, image, imageTag)
		}
	}
	i := slices.IndexFunc(pod.Containers, func(c container) bool { return c.Name == "entpipe" })
	if i < 0 {
		t.Fatal("no entpipe container")
	}
	c := pod.Containers[i]
	checkArgs(t, "DaemonSet", c.Args)
	if j := slices.Index(c.Args, "-web.listen-address"); j < 0 || c.Args[j+1] != ":"+metricsPort {
		t.Errorf("args %q: want -web.listen-address :%s", c.Args, metricsPort)
	}
	if len(c.Ports) != 1 || c.Ports[0].Name != "metrics" || c.Ports[0].ContainerPort != metricsPort {
		t.Errorf("ports %+v: want metrics %s", c.Ports, metricsPort)
	}
	if c.LivenessProbe.HTTPGet.Path != healthPath || c.ReadinessProbe.HTTPGet.Path != readyPath {
		t.Errorf("probes %s, %s: want %s, %s", c.LivenessProbe.HTTPGet.Path, c.ReadinessProbe.HTTPGet.Path, healthPath, readyPath)
	}

	// The config file -config names is the generated ConfigMap's, and the
	// secret files it names are keys of the generated Secret.
	mountOf := map[string]string{} // mount path → volume name
	for _, m := range c.VolumeMounts {
		mountOf[m.MountPath] = m.Name
	}
	volume := func(name string) (configMap, secret string) {
		for _, v := range pod.Volumes {
			if v.Name == name {
				return v.ConfigMap.Name, v.Secret.SecretName
			}
		}
		return "", ""
	}
	j := slices.Index(c.Args, "-config")
	if j < 0 {
		t.Fatalf("args %q: no -config", c.Args)
	}
	cfgPath := c.Args[j+1]
	cm, _ := volume(mountOf[filepath.Dir(cfgPath)])
	if cm != lookup(objs["ConfigMap"], "metadata", "name").Value || lookup(objs["ConfigMap"], "data", filepath.Base(cfgPath)) == nil {
		t.Errorf("-config %s is not a key of the generated ConfigMap mounted there", cfgPath)
	}
	token, salt := checkConfig(t, kustomizeDir+"/"+filepath.Base(cfgPath))
	for _, f := range []string{token, salt} {
		_, sec := volume(mountOf[filepath.Dir(f)])
		if sec != lookup(objs["Secret"], "metadata", "name").Value || lookup(objs["Secret"], "data", filepath.Base(f)) == nil {
			t.Errorf("config names %s, which is not a key of the generated Secret mounted there", f)
		}
	}

	if p := lookup(objs["Service"], "spec", "ports"); p == nil || len(p.Content) != 1 ||
		lookup(p.Content[0], "name").Value != "metrics" || lookup(p.Content[0], "port").Value != metricsPort {
		t.Errorf("Service ports: want one named metrics on %s", metricsPort)
	}
	if lookup(objs["Service"], "metadata", "name").Value != "entpipe" {
		t.Error("Service name: want entpipe, the job label of the alert rules")
	}
	ep := lookup(objs["ServiceMonitor"], "spec", "endpoints")
	if ep == nil || len(ep.Content) != 1 || lookup(ep.Content[0], "port").Value != "metrics" {
		t.Error("ServiceMonitor endpoints: want the Service's metrics port")
	}
	sel := lookup(objs["ServiceMonitor"], "spec", "selector", "matchLabels", "app.kubernetes.io/name")
	if sel == nil || sel.Value != lookup(objs["Service"], "metadata", "labels", "app.kubernetes.io/name").Value {
		t.Error("ServiceMonitor selector does not match the Service's labels")
	}
}

// strictDecode decodes the core objects (kind, or "file: kind") into their Kubernetes API types,
// refusing unknown fields: a misspelt key in a manifest fails here rather
// than being dropped by the API server. The Prometheus Operator kinds are
// checked field by field above.
func strictDecode(t *testing.T, kind string, n *yaml.Node) {
	t.Helper()
	var obj any
	switch kind[strings.LastIndex(kind, " ")+1:] {
	case "DaemonSet":
		obj = &appsv1.DaemonSet{}
	case "Service":
		obj = &corev1.Service{}
	case "ConfigMap":
		obj = &corev1.ConfigMap{}
	case "Secret":
		obj = &corev1.Secret{}
	default:
		return
	}
	doc, err := yaml.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	if err := k8syaml.UnmarshalStrict(doc, obj); err != nil {
		t.Errorf("%s: %v", kind, err)
	}
}

type container struct {
	Name  string
	Image string
	Args  []string
	Ports []struct {
		Name          string
		ContainerPort string `yaml:"containerPort"`
	}
	LivenessProbe  probe `yaml:"livenessProbe"`
	ReadinessProbe probe `yaml:"readinessProbe"`
	VolumeMounts   []struct {
		Name      string
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
}

type probe struct {
	HTTPGet struct{ Path string } `yaml:"httpGet"`
}

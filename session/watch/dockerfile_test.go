package watch_test

import (
	"bufio"
	"context"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// dockerfile is what the image check reads from deploy/Dockerfile.
type dockerfile struct {
	args  map[string]string // ARG defaults
	build string            // the RUN line that runs go build, continuations joined
	out   string            // the binary the build stage writes (its -o)
	copy  string            // what the final stage copies from the build stage
	user  string
	entry string
}

// readDockerfile parses the instructions the check needs; it fails on a
// Dockerfile whose build stage has no go build.
func readDockerfile(t *testing.T, path string) dockerfile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := dockerfile{args: map[string]string{}}
	var lines []string
	sc := bufio.NewScanner(f)
	cur := ""
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(l, "#") || l == "" {
			continue
		}
		if strings.HasSuffix(l, "\\") {
			cur += strings.TrimSuffix(l, "\\") + " "
			continue
		}
		lines = append(lines, cur+l)
		cur = ""
	}
	for _, l := range lines {
		ins, rest, _ := strings.Cut(l, " ")
		switch strings.ToUpper(ins) {
		case "ARG":
			k, v, _ := strings.Cut(rest, "=")
			d.args[k] = v
		case "RUN":
			if strings.Contains(rest, "go build") {
				d.build = rest
			}
		case "COPY":
			if f := strings.Fields(rest); len(f) == 3 && strings.HasPrefix(f[0], "--from=") {
				d.copy = f[1]
			}
		case "USER":
			d.user = rest
		case "ENTRYPOINT":
			d.entry = rest
		}
	}
	if m := regexp.MustCompile(`-o (\S+)`).FindStringSubmatch(d.build); m != nil {
		d.out = m[1]
	}
	if d.build == "" || d.out == "" {
		t.Fatalf("%s: no RUN ... go build -o FILE", path)
	}
	return d
}

// TestDockerfileBuild runs the build stage's command line of deploy/Dockerfile
// as docker would (from the repository root, with the build arguments set)
// and checks what the final stage relies on: the binary it copies is the
// one built, it is static (the distroless static image has no libc), the
// version arguments reach it, and it starts as the image's non-root user.
// No Docker engine is needed; the base images themselves are not checked.
func TestDockerfileBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary: skipped under -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	d := readDockerfile(t, "../../deploy/Dockerfile")
	if d.copy != d.out {
		t.Errorf("the final stage copies %s, the build writes %s", d.copy, d.out)
	}
	if d.user == "" || strings.HasPrefix(d.user, "0") || strings.HasPrefix(d.user, "root") {
		t.Errorf("USER %q: the image must run as a non-root user", d.user)
	}
	if !strings.Contains(d.entry, `"/kuberesponder"`) {
		t.Errorf("ENTRYPOINT %s does not run /kuberesponder", d.entry)
	}
	dir, err := os.MkdirTemp("", "kuberesponder-image-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil { // the image's user runs it
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "kuberesponder")
	build := strings.ReplaceAll(d.build, d.out, bin)
	buildArgs := map[string]string{"VERSION": "v9.8.7-image", "COMMIT": "0123abc"}
	for k := range d.args {
		v, ok := buildArgs[k]
		if !ok {
			v = d.args[k]
		}
		build = strings.ReplaceAll(strings.ReplaceAll(build, "${"+k+"}", v), "$"+k, v)
	}
	started := time.Now()
	cmd := exec.CommandContext(ctx, "sh", "-c", build)
	cmd.Dir = "../.."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", build, err, out)
	}
	t.Logf("built in %s: %s", time.Since(started).Round(time.Second), build)

	ef, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	libs, _ := ef.ImportedLibraries()
	for _, p := range ef.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("the binary names a dynamic loader: it would not start on a static image")
		}
	}
	if len(libs) > 0 {
		t.Errorf("the binary needs shared libraries %v", libs)
	}
	ef.Close()

	uid, gid := imageUser(t, d.user)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"version"}, "kuberesponder v9.8.7-image (commit 0123abc"},
		{[]string{"--help"}, "watch"},
		{[]string{"watch", "--help"}, "--listen-token-file"},
	} {
		cmd := exec.CommandContext(ctx, bin, tc.args...)
		cmd.Env = []string{"HOME=/nonexistent", "PATH=/nonexistent"} // distroless has neither shell nor home
		cmd.Dir = "/"
		if os.Geteuid() == 0 {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: gid}}
		}
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), tc.want) {
			t.Errorf("kuberesponder %s as %s: %v\n%s", strings.Join(tc.args, " "), d.user, err, out)
		}
	}
}

// imageUser reads USER uid:gid (numeric, as distroless's nonroot is).
func imageUser(t *testing.T, user string) (uint32, uint32) {
	t.Helper()
	var uid, gid uint32
	u, g, _ := strings.Cut(user, ":")
	for _, p := range []struct {
		s string
		v *uint32
	}{{u, &uid}, {g, &gid}} {
		for _, c := range p.s {
			if c < '0' || c > '9' {
				t.Fatalf("USER %q is not numeric uid:gid", user)
			}
			*p.v = *p.v*10 + uint32(c-'0')
		}
	}
	return uid, gid
}

// TestDeployManifestsListed: every manifest in deploy/ parses and is a
// resource of the kustomization (which the end-to-end test applies to the
// real API server), except the Secret example users replace by their own.
func TestDeployManifestsListed(t *testing.T) {
	var k struct {
		Resources []string `json:"resources"`
	}
	b, err := os.ReadFile("../../deploy/kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &k); err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, r := range k.Resources {
		listed[r] = true
	}
	files, err := filepath.Glob("../../deploy/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range strings.Split(string(b), "\n---") {
			var obj struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
			}
			if err := yaml.Unmarshal([]byte(doc), &obj); err != nil || obj.APIVersion == "" || obj.Kind == "" {
				t.Errorf("%s, document %d: %v (apiVersion %q, kind %q)", name, i, err, obj.APIVersion, obj.Kind)
			}
		}
		if name != "kustomization.yaml" && name != "secret.example.yaml" && !listed[name] {
			t.Errorf("%s is not a resource of deploy/kustomization.yaml: kubectl apply -k would skip it", name)
		}
	}
}

package deploy_test

import (
	"debug/elf"
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// dockerfileBuild returns the environment and `go build` arguments (up to
// -o) of the Dockerfile's build step, with ${VERSION} set to version and
// ${REVISION} to revision.
func dockerfileBuild(t *testing.T, version, revision string) (env, args []string) {
	t.Helper()
	line := instruction(t, readFile(t, "../Dockerfile"), "RUN", "go build")
	words := shellWords(strings.NewReplacer("${VERSION}", version, "${REVISION}", revision).Replace(line))
	i := slices.Index(words, "go")
	if i < 0 || i+1 >= len(words) || words[i+1] != "build" {
		t.Fatalf("Dockerfile: no `go build` in %q", line)
	}
	env = words[:i]
	for _, w := range words[i:] {
		if w == "-o" {
			break
		}
		args = append(args, w)
	}
	return env, args[1:] // from "build"
}

// TestDockerfileBuildMatchesMakefile: the image and `make build` produce
// the same binary (static, trimmed, version baked in).
func TestDockerfileBuildMatchesMakefile(t *testing.T) {
	mk := readFile(t, "../Makefile")
	ldflags := regexp.MustCompile(`(?m)^LDFLAGS\s*:=\s*(.+)$`).FindStringSubmatch(mk)
	if ldflags == nil {
		t.Fatal("Makefile: no LDFLAGS")
	}
	build := regexp.MustCompile(`(?m)^\s*@?(CGO_ENABLED=\S+) \$\(GO\) (build .*) -o `).FindStringSubmatch(mk)
	if build == nil {
		t.Fatal("Makefile: no `CGO_ENABLED=… $(GO) build … -o` line")
	}
	mkLine := strings.ReplaceAll(build[1]+" go "+build[2], "$(LDFLAGS)", ldflags[1])
	mkWords := shellWords(strings.NewReplacer("$(VERSION)", "V", "$(REVISION)", "R").Replace(mkLine))
	env, args := dockerfileBuild(t, "V", "R")
	if got := append(append(env, "go"), args...); !slices.Equal(got, mkWords) {
		t.Errorf("Dockerfile builds with %q, Makefile with %q", got, mkWords)
	}
	if !slices.Contains(env, "CGO_ENABLED=0") || !slices.Contains(args, "-trimpath") {
		t.Errorf("Dockerfile build %q %q: want CGO_ENABLED=0 and -trimpath", env, args)
	}
	set := args[slices.Index(args, "-ldflags")+1]
	for _, x := range []string{"-X github.com/prometheus/common/version.Version=V", "-X github.com/prometheus/common/version.Revision=R"} {
		if !strings.Contains(set, x) {
			t.Errorf("Dockerfile -ldflags %q: want %s", set, x)
		}
	}
}

func TestDockerfileRuntime(t *testing.T) {
	df := readFile(t, "../Dockerfile")
	stages := regexp.MustCompile(`(?m)^FROM `).Split(df, -1)
	final := stages[len(stages)-1]
	if m := regexp.MustCompile(`(?m)^USER (\S+)`).FindStringSubmatch(final); m == nil || strings.HasPrefix(m[1], "0") || strings.HasPrefix(m[1], "root") {
		t.Errorf("final stage runs as %v, want a non-root USER", m)
	}
	if !regexp.MustCompile(`(?m)^EXPOSE ` + metricsPort + `$`).MatchString(final) {
		t.Errorf("final stage does not EXPOSE %s", metricsPort)
	}
	hc := instruction(t, final, "HEALTHCHECK", "CMD")
	if !strings.Contains(hc, "http://127.0.0.1:"+metricsPort+healthPath) {
		t.Errorf("HEALTHCHECK %q does not probe :%s%s", hc, metricsPort, healthPath)
	}
	tool := regexp.MustCompile(`CMD \["([^"]+)"`).FindStringSubmatch(hc)
	if tool == nil || !strings.Contains(final, "COPY --from=tools /bin/busybox "+tool[1]+"\n") {
		t.Errorf("HEALTHCHECK runs %v, which no COPY puts in the final stage", tool)
	}
	for _, want := range []string{
		`ENTRYPOINT ["/usr/local/bin/entpipe"]`,
		`CMD ["run", "-config", "/etc/entpipe/entpipe.yaml", "-web.listen-address", ":` + metricsPort + `"]`,
		"COPY --from=build /out/entpipe /usr/local/bin/entpipe\n",
	} {
		if !strings.Contains(final, want) {
			t.Errorf("final stage lacks %s", want)
		}
	}
	var cmd []string
	if err := json.Unmarshal([]byte(instruction(t, final, "CMD", "run")), &cmd); err != nil {
		t.Fatalf("CMD: %v", err)
	}
	checkArgs(t, "Dockerfile CMD", cmd)
	// The builder's Go is the one go.mod asks for.
	goMod := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindStringSubmatch(readFile(t, "../go.mod"))
	if goMod == nil || !strings.Contains(df, "ARG GO_VERSION="+goMod[1]+"\n") {
		t.Errorf("Dockerfile GO_VERSION differs from go.mod's go %v", goMod)
	}
}

// TestDockerignoreKeepsSources: the build context holds what go build needs.
func TestDockerignoreKeepsSources(t *testing.T) {
	ignored := strings.Fields(readFile(t, "../.dockerignore"))
	for _, need := range []string{"go.mod", "go.sum", "cmd", "collector", "exporters", "dashboards", "Dockerfile"} {
		if slices.Contains(ignored, need) || slices.Contains(ignored, "/"+need) {
			t.Errorf(".dockerignore excludes %s", need)
		}
	}
	if !slices.Contains(ignored, ".git") {
		t.Error(".dockerignore does not exclude .git")
	}
}

// TestIntegrationStaticBinary builds with the Dockerfile's flags and checks
// the result is static (no interpreter, no shared library) with Go's ELF
// reader, file and ldd, and carries the version it was given.
func TestIntegrationStaticBinary(t *testing.T) {
	fileTool := requireTool(t, "file", "apt-get install file")
	lddTool := requireTool(t, "ldd", "Debian package libc-bin")
	bin := entpipeBinary(t)

	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("ELF program header %v: dynamically linked", p.Type)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("imports shared libraries %v", libs)
	}
	if f.Section(".symtab") != nil {
		t.Error("symbol table present: -ldflags -s not applied")
	}

	out, err := exec.Command(fileTool, bin).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "statically linked") {
		t.Errorf("file: %v: %s", err, out)
	}
	out, _ = exec.Command(lddTool, bin).CombinedOutput() // exits 1 on static binaries
	if !strings.Contains(string(out), "not a dynamic executable") && !strings.Contains(string(out), "statically linked") {
		t.Errorf("ldd: %s", out)
	}
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, err = exec.Command(bin, args...).CombinedOutput()
		if err != nil || !strings.HasPrefix(string(out), "entpipe, version "+testVersion+" (branch: , revision: "+testRevision+")\n") {
			t.Errorf("entpipe %s: %v: %q, want version %s, revision %s", args[0], err, out, testVersion, testRevision)
		}
	}
}

// instruction returns the first Dockerfile instruction starting with verb
// and containing substr, continuation lines joined.
func instruction(t *testing.T, dockerfile, verb, substr string) string {
	t.Helper()
	joined := strings.ReplaceAll(dockerfile, "\\\n", " ")
	for l := range strings.Lines(joined) {
		if strings.HasPrefix(l, verb+" ") && strings.Contains(l, substr) {
			return strings.TrimSpace(strings.TrimPrefix(l, verb+" "))
		}
	}
	t.Fatalf("Dockerfile: no %s instruction with %q", verb, substr)
	return ""
}

// shellWords splits s like a POSIX shell does for unexpanded words with
// single and double quotes, stopping at "&&".
func shellWords(s string) []string {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				if cur.String() == "&&" {
					return words
				}
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord && cur.String() != "&&" {
		words = append(words, cur.String())
	}
	return words
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

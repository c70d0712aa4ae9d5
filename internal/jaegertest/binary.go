package jaegertest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// BinaryEnv names the environment variable that, when set, gives the path of
// a ready-built jaeger binary and turns off the automatic build.
const BinaryEnv = "POLYTRACE_JAEGER_BIN"

const (
	jaegerModule  = "github.com/jaegertracing/jaeger"
	jaegerPackage = jaegerModule + "/cmd/jaeger"
)

// built remembers, per process, the binary already found or built, so that
// later calls neither lock nor stat again.
var built struct {
	sync.Mutex
	path string
}

// Binary returns the path of a jaeger binary. When POLYTRACE_JAEGER_BIN is
// set, it must name an executable file. Otherwise the binary is built from
// the nested module tools/jaeger into
// os.UserCacheDir()/polytrace/jaeger-VERSION/jaeger, once: an existing build
// is reused, and concurrent test processes wait on a file lock rather than
// build twice. A failed build fails t with the tail of the go build output.
func Binary(t testing.TB) string {
	t.Helper()
	if p, ok := os.LookupEnv(BinaryEnv); ok {
		path, err := checkExecutable(p)
		if err != nil {
			t.Fatalf("jaegertest: %s=%q: %v (want the path of an executable jaeger binary, or unset it to build one)", BinaryEnv, p, err)
		}
		return path
	}

	built.Lock()
	defer built.Unlock()
	if built.path != "" {
		return built.path
	}
	path, err := buildCached(t.Logf)
	if err != nil {
		t.Fatalf("jaegertest: %v", err)
	}
	built.path = path
	return path
}

// BinaryPath is [Binary] for programs without a testing.TB: it returns an
// error instead of failing a test.
func BinaryPath() (string, error) {
	if p, ok := os.LookupEnv(BinaryEnv); ok {
		path, err := checkExecutable(p)
		if err != nil {
			return "", fmt.Errorf("%s=%q: %w (want the path of an executable jaeger binary, or unset it to build one)", BinaryEnv, p, err)
		}
		return path, nil
	}
	built.Lock()
	defer built.Unlock()
	if built.path != "" {
		return built.path, nil
	}
	path, err := buildCached(func(string, ...any) {})
	if err != nil {
		return "", err
	}
	built.path = path
	return path, nil
}

// checkExecutable returns the absolute form of p if it names a regular file
// with an execute bit set.
func checkExecutable(p string) (string, error) {
	if p == "" {
		return "", errors.New("empty path")
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file (mode %v)", abs, fi.Mode())
	}
	if fi.Mode().Perm()&0o111 == 0 {
		return "", fmt.Errorf("%s is not executable (mode %v)", abs, fi.Mode())
	}
	return abs, nil
}

// buildCached returns the cached binary, building it first if needed.
func buildCached(logf func(format string, args ...any)) (string, error) {
	toolDir, err := toolModuleDir()
	if err != nil {
		return "", err
	}
	version, err := jaegerVersion(filepath.Join(toolDir, "go.mod"))
	if err != nil {
		return "", err
	}
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	cacheDir := filepath.Join(base, "polytrace", "jaeger-"+version)
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", fmt.Errorf("create cache dir: %w", err)
	}
	final := filepath.Join(cacheDir, "jaeger")

	unlock, err := lockFile(filepath.Join(cacheDir, "build.lock"))
	if err != nil {
		return "", fmt.Errorf("lock %s: %w", cacheDir, err)
	}
	defer unlock()

	// Checked under the lock: another process may have just finished.
	if _, err := checkExecutable(final); err == nil {
		return final, nil
	}

	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	tmp := filepath.Join(cacheDir, fmt.Sprintf("jaeger.tmp.%d", os.Getpid()))
	defer os.Remove(tmp) // gone after a successful rename; cleans up otherwise

	// A cold build can run for many minutes: say so on stderr at once, where
	// it shows even without -v and even if the test then times out.
	fmt.Fprintf(os.Stderr, "jaegertest: building jaeger %s into %s (first time only; a cold build can take 10+ minutes: use go test -timeout 30m, or set %s)\n",
		version, final, BinaryEnv)
	start := time.Now()
	cmd := exec.Command(goTool, "build", "-o", tmp, jaegerPackage)
	cmd.Dir = toolDir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	out, err := cmd.CombinedOutput()
	took := time.Since(start).Round(time.Millisecond)
	if err != nil {
		return "", fmt.Errorf("build jaeger %s in %s (go build -o %s %s) after %s: %w\n%s",
			version, toolDir, tmp, jaegerPackage, took, err, tail(out, 60, 8<<10))
	}
	if err := os.Rename(tmp, final); err != nil {
		return "", fmt.Errorf("install built jaeger: %w", err)
	}
	logf("jaegertest: built jaeger %s in %s", version, took)
	return final, nil
}

// toolModuleDir finds tools/jaeger: next to this source file when the
// sources are where they were compiled from, else by walking up from the
// working directory (a package directory, under go test).
func toolModuleDir() (string, error) {
	var tried []string
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		dir := filepath.Join(filepath.Dir(file), "..", "..", "tools", "jaeger")
		if isFile(filepath.Join(dir, "go.mod")) {
			return filepath.Clean(dir), nil
		}
		tried = append(tried, dir)
	}
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			cand := filepath.Join(dir, "tools", "jaeger")
			if isFile(filepath.Join(cand, "go.mod")) {
				return cand, nil
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
		tried = append(tried, "tools/jaeger above "+wd)
	}
	return "", fmt.Errorf("find the tools/jaeger module (looked in %s); set %s to a jaeger binary instead",
		strings.Join(tried, ", "), BinaryEnv)
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// jaegerVersion reads the version of the jaeger module required by the
// go.mod at path, so the cache follows a version bump there.
func jaegerVersion(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read jaeger version: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) > 0 && f[0] == "require" {
			f = f[1:]
		}
		if len(f) >= 2 && f[0] == jaegerModule && strings.HasPrefix(f[1], "v") {
			return f[1], nil
		}
	}
	return "", fmt.Errorf("read jaeger version: %s requires no %s", path, jaegerModule)
}

// tail returns at most the last n lines and max bytes of b.
func tail(b []byte, n, max int) string {
	b = bytes.TrimRight(b, "\n")
	cut := false
	if len(b) > max {
		b = b[len(b)-max:]
		cut = true
	}
	lines := bytes.Split(b, []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
		cut = true
	}
	s := string(bytes.Join(lines, []byte("\n")))
	if cut {
		s = "[...]\n" + s
	}
	return s
}

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/polytrace/polytrace/tracer"
)

// child is one service of the example, run as its own process.
type child struct {
	name string // checkout or inventory
	cmd  *exec.Cmd
	addr string // host:port it serves on
	// viewer is the ui backend's viewer address, once printed.
	viewer string

	exited chan struct{}
	stderr *tailBuffer
	lines  *lineCounter // its standard output (stdout backend: one line per span)

	mu    sync.Mutex
	stats *statsReport // its final stats, logged at exit
	peak  int64        // VmHWM in KiB, read just before it was stopped
}

var listening = regexp.MustCompile(`listening on http://([0-9.:]+)`)

// startChild runs the example binary in role with env (added to a minimal
// environment) and waits until it serves.
func startChild(bin, role, name string, env map[string]string, args ...string) (*child, error) {
	c := &child{name: name, exited: make(chan struct{}), stderr: &tailBuffer{max: 64 << 10}, lines: &lineCounter{}}
	c.cmd = exec.Command(bin, append([]string{"-role=" + role, "-addr=127.0.0.1:0"}, args...)...)
	c.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "GOMAXPROCS=" + os.Getenv("GOMAXPROCS")}
	for k, v := range env {
		c.cmd.Env = append(c.cmd.Env, k+"="+v)
	}
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stderr, err := c.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	c.cmd.Stdout = c.lines
	if err := c.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		found := false
		for sc.Scan() {
			line := sc.Text()
			c.stderr.WriteLine(line)
			if !found {
				if m := listening.FindStringSubmatch(line); m != nil {
					found = true
					addr <- m[1]
				}
			}
			if m := viewerLine.FindStringSubmatch(line); m != nil {
				c.mu.Lock()
				c.viewer = m[1]
				c.mu.Unlock()
			}
			if r, ok := parseStatsLine(line); ok {
				c.mu.Lock()
				c.stats = &r
				c.mu.Unlock()
			}
		}
		_ = c.cmd.Wait()
		close(c.exited)
	}()
	select {
	case c.addr = <-addr:
	case <-c.exited:
		return nil, fmt.Errorf("%s exited at start:\n%s", name, c.stderr.String())
	case <-time.After(20 * time.Second):
		c.kill()
		return nil, fmt.Errorf("%s did not start within 20s:\n%s", name, c.stderr.String())
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + c.addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return c, nil
			}
		}
		if time.Now().After(deadline) {
			c.kill()
			return nil, fmt.Errorf("%s does not answer /healthz: %v", name, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop reads the process's peak RSS, sends SIGTERM (the example then
// shuts its tracer down, bounded by TRACER_FLUSH_TIMEOUT, and logs its
// stats) and waits for it to exit, killing it after grace.
func (c *child) stop(grace time.Duration) error {
	c.mu.Lock()
	c.peak = peakRSS(c.cmd.Process.Pid)
	c.mu.Unlock()
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
		return nil
	case <-time.After(grace):
		c.kill()
		return fmt.Errorf("%s did not exit within %v of SIGTERM", c.name, grace)
	}
}

func (c *child) kill() {
	_ = c.cmd.Process.Kill()
	<-c.exited
}

// finalStats returns the stats the process logged at exit.
func (c *child) finalStats() (tracer.Stats, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stats == nil {
		return tracer.Stats{}, false
	}
	return c.stats.Stats, true
}

// backendStats returns the final stats of one backend of a list, as the
// process logged them at exit.
func (c *child) backendStats(name string) (tracer.Stats, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stats == nil {
		return tracer.Stats{}, false
	}
	s, ok := c.stats.Backends[name]
	return s, ok
}

// peakRSS returns VmHWM of pid in KiB, or 0.
func peakRSS(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return 0
}

// parseStatsLine finds the example's "tracing stats: {json}" line, logged
// either plainly or as a quoted slog message.
func parseStatsLine(line string) (statsReport, bool) {
	const marker = "tracing stats: "
	i := strings.Index(line, marker)
	if i < 0 {
		return statsReport{}, false
	}
	raw := line[i+len(marker):]
	if i > 0 && strings.HasSuffix(line[:i], `msg="`) {
		// slog's text handler: msg="tracing stats: {\"service\":...}"
		q, err := strconv.QuotedPrefix(line[i-1:])
		if err != nil {
			return statsReport{}, false
		}
		s, err := strconv.Unquote(q)
		if err != nil {
			return statsReport{}, false
		}
		raw = strings.TrimPrefix(s, marker)
	}
	var r statsReport
	if err := json.NewDecoder(strings.NewReader(raw)).Decode(&r); err != nil {
		return statsReport{}, false
	}
	return r, true
}

// statsReport is what the example logs at exit: its tracer's Stats,
// and each backend's for a list of backends.
type statsReport struct {
	Stats    tracer.Stats            `json:"stats"`
	Backends map[string]tracer.Stats `json:"backends"`
}

// tailBuffer keeps the last max bytes of lines written.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (b *tailBuffer) WriteLine(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, s...)
	b.buf = append(b.buf, '\n')
	if len(b.buf) > b.max {
		b.buf = append([]byte(nil), b.buf[len(b.buf)-b.max:]...)
	}
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

// lineCounter counts the lines written to it, and the bytes.
type lineCounter struct {
	mu    sync.Mutex
	lines int64
	bytes int64
}

var _ io.Writer = (*lineCounter)(nil)

func (l *lineCounter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines += int64(bytes.Count(p, []byte{'\n'}))
	l.bytes += int64(len(p))
	return len(p), nil
}

func (l *lineCounter) count() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lines
}

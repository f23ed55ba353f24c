package influxtest

import (
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Proxy is a TCP proxy that a test owns in front of a server (influxd): it
// holds its loopback port from start to the test's end, so the processes
// under test keep one address while the test makes the server refuse,
// hang, reset or slow their connections, or replaces the server behind it.
// No fault ever gives the port up: a test never depends on a port staying
// free between two binds (on a shared machine another process takes it).
//
// Faults apply at once to open connections too, as a real outage would: a
// client's keep-alive connection does not outlive a refusal.
type Proxy struct {
	// URL is http://<Addr>; Addr is the listening address, fixed for the
	// proxy's life.
	URL, Addr string

	t  testing.TB
	ln *net.TCPListener

	mu      sync.Mutex
	mode    mode
	delay   time.Duration // of Slow
	target  string        // host:port of the server; "" refuses like a stopped server
	conns   map[*pipe]struct{}
	changed chan struct{} // closed and replaced at every mode or target change
	closed  bool
}

type mode int

const (
	normal mode = iota
	refuse      // connect fails: connection refused
	hang        // connections are accepted, nothing is forwarded either way
	reset       // connections are accepted then reset
	slow        // every chunk is forwarded after a delay
)

// NewProxy listens on a free loopback port and forwards to target
// (host:port; "" refuses until SetTarget). It stops with t.Cleanup.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := listenExplicit()
	if err != nil {
		t.Fatalf("influxtest: proxy: %v", err)
	}
	p := &Proxy{Addr: ln.Addr().String(), t: t, ln: ln, target: target,
		conns: map[*pipe]struct{}{}, changed: make(chan struct{})}
	p.URL = "http://" + p.Addr
	done := make(chan struct{})
	go func() { defer close(done); p.serve() }()
	t.Cleanup(func() {
		p.mu.Lock()
		p.closed = true
		p.resetAllLocked()
		p.notifyLocked()
		p.mu.Unlock()
		ln.Close()
		<-done
	})
	return p
}

// listenExplicit listens on a loopback port named explicitly. A socket bound
// to port 0 loses its port when Refuse shuts it down; one bound to a port by
// number keeps it. The number comes from a port-0 listener; when another
// process takes it in between, the next number is tried: the proxy never
// proceeds without holding its port.
func listenExplicit() (*net.TCPListener, error) {
	var err error
	for range 20 {
		var probe net.Listener
		if probe, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return nil, err
		}
		addr := probe.Addr().String()
		probe.Close()
		var ln net.Listener
		if ln, err = net.Listen("tcp", addr); err == nil {
			return ln.(*net.TCPListener), nil
		}
	}
	return nil, err
}

// Normal forwards every connection again.
func (p *Proxy) Normal() { p.set(normal, 0) }

// Refuse makes connections fail with "connection refused", as when no
// server listens, while the proxy keeps its port (see setRefusing); open
// connections are reset.
func (p *Proxy) Refuse() { p.set(refuse, 0) }

// Hang accepts connections and forwards nothing, either way, on new or open
// connections: a server that stopped answering. Leaving Hang resets every
// connection (their requests have timed out on the client side).
func (p *Proxy) Hang() { p.set(hang, 0) }

// Reset accepts connections and resets them at once; open connections are
// reset.
func (p *Proxy) Reset() { p.set(reset, 0) }

// Slow forwards every chunk of bytes, either way, d after it was read.
func (p *Proxy) Slow(d time.Duration) { p.set(slow, d) }

// SetTarget sends new connections to target (host:port), resetting the open
// ones; "" refuses connections, as a stopped server would.
func (p *Proxy) SetTarget(target string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.target = target
	p.resetAllLocked()
	p.applyLocked()
	p.notifyLocked()
}

func (p *Proxy) set(m mode, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if m == refuse || m == reset || p.mode == hang && m != hang {
		p.resetAllLocked()
	}
	p.mode, p.delay = m, d
	p.applyLocked()
	p.notifyLocked()
}

// applyLocked makes the listening socket refuse or accept connections.
func (p *Proxy) applyLocked() {
	if err := setRefusing(p.ln, p.mode == refuse || p.target == ""); err != nil {
		p.t.Fatalf("influxtest: proxy %s: %v", p.Addr, err)
	}
}

// setRefusing toggles a listening socket between listening and refusing
// without giving its port up. shutdown(2) on a listening socket closes its
// queue: connects then get a reset (ECONNREFUSED) while the socket stays
// bound to its port; listen(2) opens it again. While it refuses, the
// socket is not listening, so SO_REUSEADDR is turned off: otherwise another
// process (every Go listener sets SO_REUSEADDR) could bind the port. It is
// turned back on before listen(2), which would otherwise conflict with the
// TIME_WAIT connections of the port.
func setRefusing(ln *net.TCPListener, refusing bool) error {
	rc, err := ln.SyscallConn()
	if err != nil {
		return err
	}
	var opErr error
	err = rc.Control(func(fd uintptr) {
		if refusing {
			if opErr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 0); opErr != nil {
				return
			}
			opErr = syscall.Shutdown(int(fd), syscall.SHUT_RD)
			if errors.Is(opErr, syscall.ENOTCONN) {
				opErr = nil // already refusing
			}
			return
		}
		if opErr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); opErr != nil {
			return
		}
		opErr = syscall.Listen(int(fd), syscall.SOMAXCONN) // a no-op when it listens already
	})
	return errors.Join(err, opErr)
}

func (p *Proxy) notifyLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

func (p *Proxy) resetAllLocked() {
	for c := range p.conns {
		c.reset()
	}
	clear(p.conns)
}

// serve accepts connections until the proxy is closed. While it refuses,
// Accept fails at once (EINVAL): it waits for the next change instead.
func (p *Proxy) serve() {
	for {
		c, err := p.ln.Accept()
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			if c != nil {
				c.Close()
			}
			return
		}
		if err != nil {
			changed := p.changed
			p.mu.Unlock()
			select {
			case <-changed:
			case <-time.After(100 * time.Millisecond): // a transient accept error: try again
			}
			continue
		}
		client := c.(*net.TCPConn)
		target := p.target
		if p.mode == reset || target == "" {
			p.mu.Unlock()
			resetConn(client)
			continue
		}
		pp := &pipe{client: client, done: make(chan struct{})}
		p.conns[pp] = struct{}{}
		p.mu.Unlock()
		go p.forward(pp, target)
	}
}

// pipe is one proxied connection.
type pipe struct {
	client   *net.TCPConn
	mu       sync.Mutex
	upstream *net.TCPConn
	done     chan struct{} // closed by reset
	once     sync.Once
}

func (c *pipe) reset() {
	c.once.Do(func() {
		close(c.done)
		resetConn(c.client)
		c.mu.Lock()
		if c.upstream != nil {
			resetConn(c.upstream)
		}
		c.mu.Unlock()
	})
}

// forward dials target and copies both ways, each chunk through gate.
func (p *Proxy) forward(c *pipe, target string) {
	defer func() {
		p.mu.Lock()
		delete(p.conns, c)
		p.mu.Unlock()
		c.reset()
	}()
	if !p.gate(c) { // hanging: wait before even dialing
		return
	}
	up, err := net.DialTimeout("tcp", target, 10*time.Second)
	if err != nil {
		return // the client sees a reset, as from a server that went away
	}
	c.mu.Lock()
	c.upstream = up.(*net.TCPConn)
	c.mu.Unlock()
	select {
	case <-c.done: // reset while dialing
		resetConn(c.upstream)
		return
	default:
	}
	var wg sync.WaitGroup
	wg.Go(func() { p.copy(c, c.upstream, c.client) })
	wg.Go(func() { p.copy(c, c.client, c.upstream) })
	wg.Wait()
}

// copy forwards src to dst until either side ends or the pipe is reset;
// a half close is passed on.
func (p *Proxy) copy(c *pipe, dst, src *net.TCPConn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !p.gate(c) {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				c.reset()
				return
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				_ = dst.CloseWrite()
				return
			}
			c.reset()
			return
		}
	}
}

// gate returns when a chunk may be forwarded under the current mode (at
// once, after Slow's delay, or never while hanging): false when the pipe
// was reset meanwhile.
func (p *Proxy) gate(c *pipe) bool {
	for {
		p.mu.Lock()
		m, d, changed := p.mode, p.delay, p.changed
		p.mu.Unlock()
		if m != hang && m != slow {
			select {
			case <-c.done:
				return false
			default:
				return true
			}
		}
		var wait <-chan time.Time // never, while hanging
		if m == slow {
			t := time.NewTimer(d)
			wait = t.C
			defer t.Stop()
		}
		select {
		case <-c.done:
			return false
		case <-wait:
			return true
		case <-changed:
		}
	}
}

// resetConn closes c with a TCP reset (SO_LINGER 0) rather than a FIN, as a
// crashed or rebooted server's kernel answers.
func resetConn(c *net.TCPConn) {
	_ = c.SetLinger(0)
	_ = c.Close()
}

package promtest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"
)

// IdleClients are connections that a client holds open and idle, the way
// broken or hostile clients do, to check that a server closes them and
// keeps serving others.
type IdleClients struct {
	t     testing.TB
	conns []net.Conn
}

// HoldSilent opens n connections to addr one after the other and sends
// nothing on them. The connections are closed when the test ends.
func HoldSilent(t testing.TB, addr string, n int) *IdleClients {
	t.Helper()
	c := newIdleClients(t)
	for i := range n {
		c.dial(addr, i, n)
	}
	return c
}

// HoldIdle opens n keep-alive HTTP/1.1 connections to addr one after the
// other, sends GET path on each, reads the whole response (which must be a
// 200) and keeps the connection open without a word more. The connections
// are closed when the test ends.
func HoldIdle(t testing.TB, addr, path string, n int) *IdleClients {
	t.Helper()
	c := newIdleClients(t)
	req := fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, addr)
	for i := range n {
		conn := c.dial(addr, i, n)
		if _, err := io.WriteString(conn, req); err != nil {
			t.Fatalf("connection %d of %d: %v", i+1, n, err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("connection %d of %d: %v", i+1, n, err)
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("connection %d of %d: GET %s: %s, %v", i+1, n, path, resp.Status, err)
		}
	}
	return c
}

func newIdleClients(t testing.TB) *IdleClients {
	c := &IdleClients{t: t}
	t.Cleanup(func() {
		for _, conn := range c.conns {
			conn.Close()
		}
	})
	return c
}

// dial opens connection i of n and keeps it.
func (c *IdleClients) dial(addr string, i, n int) net.Conn {
	c.t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		c.t.Fatalf("connection %d of %d: %v", i+1, n, err)
	}
	c.conns = append(c.conns, conn)
	return conn
}

// ClosedByServer says, for each connection in opening order, whether the
// server has closed it: a non-blocking read sees the end of the stream (or
// a reset) at once, while an open idle connection has nothing to read.
func (c *IdleClients) ClosedByServer() []bool {
	c.t.Helper()
	closed := make([]bool, len(c.conns))
	var buf [1]byte
	for i, conn := range c.conns {
		raw, err := conn.(syscall.Conn).SyscallConn()
		if err != nil {
			c.t.Fatal(err)
		}
		var n int
		var rerr error
		if err := raw.Read(func(fd uintptr) bool {
			n, rerr = syscall.Read(int(fd), buf[:])
			return true // never wait: the answer is what the socket holds now
		}); err != nil {
			c.t.Fatal(err)
		}
		switch {
		case n == 0 && rerr == nil, errors.Is(rerr, syscall.ECONNRESET):
			closed[i] = true
		case n > 0:
			c.t.Fatalf("connection %d: the server sent unrequested data", i+1)
		case !errors.Is(rerr, syscall.EAGAIN):
			c.t.Fatalf("connection %d: %v", i+1, rerr)
		}
	}
	return closed
}

// Open returns how many connections the server has not closed.
func (c *IdleClients) Open() int {
	c.t.Helper()
	open := 0
	for _, closed := range c.ClosedByServer() {
		if !closed {
			open++
		}
	}
	return open
}

// WaitAllClosed polls until the server has closed every connection and
// returns how long that took from the call; the test fails if some are
// still open after timeout.
func (c *IdleClients) WaitAllClosed(timeout time.Duration) time.Duration {
	c.t.Helper()
	start := time.Now()
	for {
		open := c.Open()
		if open == 0 {
			return time.Since(start)
		}
		if time.Since(start) > timeout {
			c.t.Fatalf("%d of %d idle connections still open after %v", open, len(c.conns), timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

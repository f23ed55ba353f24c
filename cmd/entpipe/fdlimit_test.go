package main

import (
	"syscall"
	"testing"
)

func TestConnectionBudget(t *testing.T) {
	for _, c := range []struct {
		max     int
		soft    uint64
		want    int
		lowered bool
	}{
		{512, 1 << 20, 512, false},
		{512, 512 + fdReserve, 512, false},
		{1000, 1024, 1024 - fdReserve, true},
		{512, fdReserve, 1, true},
		{512, 10, 1, true},
	} {
		if got, lowered := connectionBudget(c.max, c.soft); got != c.want || lowered != c.lowered {
			t.Errorf("connectionBudget(%d, %d) = %d, %v, want %d, %v", c.max, c.soft, got, lowered, c.want, c.lowered)
		}
	}
}

// TestRaiseOpenFilesLimit lowers this process's soft limit, then checks
// that raiseOpenFilesLimit puts it back at the hard limit.
func TestRaiseOpenFilesLimit(t *testing.T) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim) })
	lowered := syscall.Rlimit{Cur: min(lim.Cur, lim.Max/2), Max: lim.Max}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lowered); err != nil {
		t.Fatal(err)
	}
	soft, hard, err := raiseOpenFilesLimit()
	if err != nil || soft != lim.Max || hard != lim.Max {
		t.Fatalf("raiseOpenFilesLimit() = %d, %d, %v; want %d, %d", soft, hard, err, lim.Max, lim.Max)
	}
	var now syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &now); err != nil || now.Cur != lim.Max {
		t.Fatalf("soft limit now %d, want %d (%v)", now.Cur, lim.Max, err)
	}
}

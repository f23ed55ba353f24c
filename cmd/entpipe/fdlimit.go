package main

import "syscall"

// fdReserve is how many file descriptors entpipe keeps for its own files
// and connections whatever the HTTP clients do: followed logs, checkpoints
// (a temporary file and the directory), spool segments, InfluxDB and scrape
// connections. -web.max-connections is lowered to fit beside them.
const fdReserve = 256

// raiseOpenFilesLimit raises the soft RLIMIT_NOFILE to the hard limit, as
// Prometheus does, and returns the limits in force. Go's runtime already
// raises it to the hard limit minus one at start-up on Linux; doing it here
// takes the last one and gives the values to log and to size the connection
// limit with. On error the limits in force are returned with it.
func raiseOpenFilesLimit() (soft, hard uint64, err error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, 0, err
	}
	if lim.Cur < lim.Max {
		raised := syscall.Rlimit{Cur: lim.Max, Max: lim.Max}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised); err != nil {
			return lim.Cur, lim.Max, err
		}
		lim = raised
	}
	return lim.Cur, lim.Max, nil
}

// connectionBudget returns how many HTTP connections fit in soft open files
// beside fdReserve: maxConns when they do, else what is left (at least one),
// and whether it had to lower maxConns.
func connectionBudget(maxConns int, soft uint64) (int, bool) {
	if soft >= uint64(maxConns)+fdReserve {
		return maxConns, false
	}
	if soft <= fdReserve {
		return 1, true
	}
	return int(soft - fdReserve), true
}

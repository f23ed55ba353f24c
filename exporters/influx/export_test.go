package influx

import (
	"context"
	"time"
)

// NewWithSleep is New with the backoff wait replaced, so retry tests can
// observe the delays without waiting for them.
func NewWithSleep(cfg Config, opts Options, sleep func(context.Context, time.Duration) error) (*Sink, error) {
	return newSink(cfg, opts, sleep)
}

package simulate

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/entpipe/entpipe/collector"
)

// loadStep is the sampling period of the load recording.
const loadStep = 5 * time.Minute

// writeLoad writes infra/infra_load.lp.gz: a replayable recording of the
// front servers' load (the infra_load measurement of
// docs/design.md#influxdb-schema, in line protocol by collector.AppendLine,
// one point per ENT every 5 minutes), to be posted to /write as is. It follows the expected traffic of the platform at scale
// 1, whatever -scale, since it stands for the real servers: CPU grows with
// the visits in progress and nears saturation (80–90 %) at the lockdown
// peaks, as in March 2020.
func writeLoad(out string, ents []ENT, from, to time.Time, loc *time.Location, seed uint64) (FileStat, error) {
	dir := filepath.Join(out, "infra")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return FileStat{}, fmt.Errorf("simulate: %w", err)
	}
	path := filepath.Join(dir, "infra_load.lp.gz")
	f, err := os.Create(path)
	if err != nil {
		return FileStat{}, fmt.Errorf("simulate: %w", err)
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.BestSpeed) // a valid level: no error
	w := bufio.NewWriter(zw)
	rng := rand.New(rand.NewPCG(seed, 0x10ad))
	var lines int64
	var b []byte
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		for i := range ents {
			e := &ents[i]
			// Sized so that lockdown Monday mornings run at 80–90 % CPU.
			capacity := e.Lockdown * 10 / 1440 / 4.2 * 1.2
			plan := planDay(e, d, loc, 1)
			step := int(loadStep / time.Minute)
			for m := 0; m+step <= len(plan.arrivals); m += step {
				var arrivals float64
				for _, a := range plan.arrivals[m : m+step] {
					arrivals += a
				}
				arrivals /= float64(step)
				noise := 1 + 0.05*rng.NormFloat64()
				util := math.Min(0.98, 0.05+0.85*arrivals/capacity*noise)
				inProgress := arrivals * 5 // sessions last about five minutes
				b, err = collector.AppendLine(b[:0], collector.Point{Measurement: collector.MeasInfraLoad,
					Time: time.Unix(plan.start+int64(m)*60, 0),
					Tags: map[string]string{collector.TagDepartment: e.Department, collector.TagENT: e.Name,
						collector.TagHost: e.Name + "-front1"},
					Fields: map[string]any{
						collector.FieldCPUUtilization:    round(util, 4),
						collector.FieldMemoryUtilization: round(0.45+0.35*util, 4),
						collector.FieldLoad1PerCore:      round(util*1.15*noise, 3),
						collector.FieldNetTransmitBps:    round(arrivals*6*25_000/60*noise, 0),
						collector.FieldNetReceiveBps:     round(arrivals*6*2_500/60*noise, 0),
						collector.FieldHTTPConnections:   int64(inProgress * 1.5 * noise),
					}})
				if err != nil {
					f.Close()
					return FileStat{}, fmt.Errorf("simulate: %w", err)
				}
				w.Write(append(b, '\n'))
				lines++
			}
		}
	}
	err = w.Flush()
	if err == nil {
		err = zw.Close()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return FileStat{}, fmt.Errorf("simulate: write %s: %w", path, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return FileStat{}, fmt.Errorf("simulate: %w", err)
	}
	return FileStat{Path: path, Lines: lines, Bytes: st.Size()}, nil
}

// round keeps decimals digits after the point: the recording stays small.
func round(v float64, decimals int) float64 {
	p := math.Pow10(decimals)
	return math.Round(v*p) / p
}

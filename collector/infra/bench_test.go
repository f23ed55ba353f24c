package infra

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// bigNodePage is a node_exporter page of a large ENT front server: 32 CPUs,
// 12 disks, 8 interfaces, each with the families node_exporter really
// exposes for them, plus 200 filler gauges: 720 series, 56 KB.
func bigNodePage(step int) string {
	var b strings.Builder
	counter := func(name, label string, values []string, v func(i int) float64) {
		fmt.Fprintf(&b, "# HELP %s %s.\n# TYPE %s counter\n", name, name, name)
		for i, l := range values {
			fmt.Fprintf(&b, "%s{%s} %g\n", name, fmt.Sprintf(label, l), v(i))
		}
	}
	var cpus, disks, ifaces []string
	for i := range 32 {
		for _, m := range []string{"idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user"} {
			cpus = append(cpus, fmt.Sprintf(`cpu="%d",mode="%s"`, i, m))
		}
	}
	for i := range 12 {
		disks = append(disks, fmt.Sprintf("sd%c", 'a'+i))
	}
	for i := range 8 {
		ifaces = append(ifaces, fmt.Sprintf("eth%d", i))
	}
	counter("node_cpu_seconds_total", "%s", cpus, func(i int) float64 { return float64(1000*(i%8+1) + step*15*(i%8)) })
	for _, f := range []string{"io_time_seconds_total", "io_time_weighted_seconds_total", "read_bytes_total",
		"read_time_seconds_total", "reads_completed_total", "reads_merged_total", "write_time_seconds_total",
		"writes_completed_total", "writes_merged_total", "written_bytes_total", "discards_completed_total"} {
		counter("node_disk_"+f, `device="%s"`, disks, func(i int) float64 { return float64(100*i + step*i) })
	}
	for _, dir := range []string{"receive", "transmit"} {
		for _, f := range []string{"bytes", "packets", "errs", "drop", "fifo", "compressed", "multicast", "frame"} {
			counter("node_network_"+dir+"_"+f+"_total", `device="%s"`, ifaces, func(i int) float64 { return float64(1e9*i + step*1e6) })
		}
	}
	for i := range 200 {
		fmt.Fprintf(&b, "# HELP node_filler_%d A gauge node_exporter has and infra ignores.\n# TYPE node_filler_%d gauge\nnode_filler_%d{instance=\"x\"} %d\n", i, i, i, i)
	}
	fmt.Fprintf(&b, "node_boot_time_seconds 1.7e+09\nnode_load1 %d\n", 4+step%3)
	fmt.Fprintf(&b, "node_memory_MemTotal_bytes 6.7e+10\nnode_memory_MemAvailable_bytes %d\n", 30000000000+step*1000000)
	return b.String()
}

// BenchmarkNodeParse measures deriving the fields of one large
// node_exporter page (parse and rates), without HTTP. The two pages
// alternate, so every other scrape takes the counter-reset path.
func BenchmarkNodeParse(b *testing.B) {
	pages := []string{bigNodePage(0), bigNodePage(1)}
	b.SetBytes(int64(len(pages[0])))
	n := &node{include: regexp.MustCompile(""), exclude: regexp.MustCompile(DefaultInterfacesExclude)}
	now := t0
	for i := 0; b.Loop(); i++ {
		now = now.Add(15 * time.Second)
		if _, err := n.parse([]byte(pages[i%2]), now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGather measures one poll of a source with one large
// node_exporter page over loopback HTTP.
func BenchmarkGather(b *testing.B) {
	pages := []string{bigNodePage(0), bigNodePage(1)}
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, pages[served.Add(1)%2])
	}))
	defer srv.Close()
	clock := &manualClock{t: t0}
	s, err := New("bench", testConfig(srv.URL), Options{Now: clock.now})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(pages[0])))
	for b.Loop() {
		clock.advance(15 * time.Second)
		if _, err := s.Gather(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

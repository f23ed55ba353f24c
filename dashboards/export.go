package dashboards

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/entpipe/entpipe/collector"
)

// FileName is the file a board is exported to: its uid, so that a file,
// its Grafana board and its golden are named alike.
func FileName(uid string) string { return uid + ".json" }

// Export writes every board to dir as FileName(uid), creating dir. Files are
// written whole (temp file and rename), so Grafana's file provisioner never
// reads half a board. It returns the paths written, in display order.
func Export(dir string) ([]string, error) {
	boards, err := All()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("dashboards: export: %w", err)
	}
	var paths []string
	for _, b := range boards {
		data, err := Marshal(b)
		if err != nil {
			return nil, err
		}
		path := filepath.Join(dir, FileName(*b.Uid))
		if err := collector.WriteFileAtomic(path, data, 0o644); err != nil {
			return nil, fmt.Errorf("dashboards: export %s: %w", *b.Uid, err)
		}
		paths = append(paths, path)
	}
	return paths, nil
}

package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"

	"github.com/entpipe/entpipe/collector"
)

// checkFiles verifies that the files the configuration names are usable by
// this user, the way `entpipe run` will use them: data_dir can be written
// or created, the salt file read or created. It changes nothing run
// relies on (it creates no salt and no data_dir), records problems in p and
// returns one line per check saying what it did.
func checkFiles(cfg *Config, p collector.Problems) []string {
	var done []string
	if what, err := probeWritable(cfg.DataDir); err != nil {
		p.At("data_dir").Addf("%s %v", cfg.DataDir, err)
	} else {
		done = append(done, fmt.Sprintf("data_dir %s: %s", cfg.DataDir, what))
	}
	salt, err := readSalt(cfg.SaltFile)
	switch {
	case err == nil:
		done = append(done, fmt.Sprintf("salt_file %s: read, %d bytes", cfg.SaltFile, len(salt)))
	case errors.Is(err, fs.ErrNotExist):
		what, err := probeWritable(filepath.Dir(cfg.SaltFile))
		if err != nil {
			p.At("salt_file").Addf("%s is missing, and its directory %s %v", cfg.SaltFile, filepath.Dir(cfg.SaltFile), err)
			break
		}
		done = append(done, fmt.Sprintf("salt_file %s: missing, the first run creates it (not created by check); its directory %s: %s", cfg.SaltFile, filepath.Dir(cfg.SaltFile), what))
	default:
		p.At("salt_file").Addf("%v", err)
	}
	return done
}

// probeWritable checks that dir can receive new files. When it exists, it
// creates and removes a file in it; when it does not, it creates and
// removes a directory in its nearest existing parent (run creates dir with
// its parents). It says what it did, or why dir is not usable.
func probeWritable(dir string) (string, error) {
	fi, err := os.Stat(dir)
	switch {
	case err == nil && !fi.IsDir():
		return "", errors.New("is not a directory")
	case err == nil:
		f, err := os.CreateTemp(dir, ".entpipe-check-*")
		if err != nil {
			return "", fmt.Errorf("is not writable: %w", cause(err))
		}
		f.Close()
		if err := os.Remove(f.Name()); err != nil {
			return "", fmt.Errorf("test file %s left behind: %w", f.Name(), err)
		}
		return "writable (check created and removed a test file)", nil
	case !missing(err):
		return "", cause(err)
	}
	parent := filepath.Dir(dir)
	for {
		fi, err := os.Stat(parent)
		if err == nil && fi.IsDir() {
			break
		}
		if err == nil {
			return "", fmt.Errorf("does not exist and cannot be created: %s is not a directory", parent)
		}
		if !missing(err) || filepath.Dir(parent) == parent {
			return "", fmt.Errorf("does not exist and cannot be created: %s: %w", parent, cause(err))
		}
		parent = filepath.Dir(parent)
	}
	test, err := os.MkdirTemp(parent, ".entpipe-check-*")
	if err != nil {
		return "", fmt.Errorf("does not exist and cannot be created: %s: %w", parent, cause(err))
	}
	if err := os.Remove(test); err != nil {
		return "", fmt.Errorf("test directory %s left behind: %w", test, err)
	}
	return fmt.Sprintf("does not exist, can be created in %s (check created and removed a test directory there)", parent), nil
}

// missing reports whether err says a path does not exist: no such file,
// or a file where a directory of the path should be.
func missing(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// cause drops the path from a file system error: messages name it already.
func cause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// exposedSecret is a secret file that its group or others may read.
type exposedSecret struct {
	key, path string
	mode      fs.FileMode
}

func (e exposedSecret) String() string {
	return fmt.Sprintf("%s: %s is readable by its group or others (mode %04o): chmod 600 %s", e.key, e.path, e.mode, e.path)
}

// exposedSecrets returns the secret files named by the configuration
// (influx.token_file, enseigno token_file and basic_auth_file, salt_file)
// that exist and are readable by their group or others. That is a warning,
// not an error: the file may be shared on purpose, through a group.
func exposedSecrets(cfg *Config) []exposedSecret {
	files := [][2]string{{"influx.token_file", cfg.Influx.TokenFile}, {"salt_file", cfg.SaltFile}}
	for i, s := range cfg.Sources {
		if s.Enseigno != nil {
			at := "sources" + sourceSegment(i, s.Name) + " enseigno."
			files = append(files, [2]string{at + "token_file", s.Enseigno.TokenFile}, [2]string{at + "basic_auth_file", s.Enseigno.BasicAuthFile})
		}
	}
	var exposed []exposedSecret
	for _, f := range files {
		if f[1] == "" {
			continue
		}
		if fi, err := os.Stat(f[1]); err == nil && fi.Mode().Perm()&0o044 != 0 {
			exposed = append(exposed, exposedSecret{key: f[0], path: f[1], mode: fi.Mode().Perm()})
		}
	}
	return exposed
}

// warnExposedSecrets logs a warning for each exposed secret file.
func warnExposedSecrets(cfg *Config, log *slog.Logger) {
	for _, e := range exposedSecrets(cfg) {
		log.Warn("secret file readable by its group or others: chmod 600 it", "key", e.key, "file", e.path, "mode", fmt.Sprintf("%04o", e.mode))
	}
}

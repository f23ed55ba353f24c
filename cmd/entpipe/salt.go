package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// loadSalt returns the secret salt of visitor hashes, creating the file
// with 32 random bytes (mode 0600) on first use. The salt must stay stable:
// checkpointed visitor keys are hashes made with it.
func loadSalt(path string) ([]byte, error) {
	salt, err := readSalt(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return salt, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("salt file: %w", err)
	}
	salt = make([]byte, 32)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("salt file: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("salt file: %w", err)
	}
	if _, err := f.Write(salt); err != nil {
		f.Close()
		return nil, fmt.Errorf("salt file %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("salt file %s: %w", path, err)
	}
	return salt, f.Close()
}

// readSalt reads an existing salt file; a missing one is fs.ErrNotExist.
func readSalt(path string) ([]byte, error) {
	salt, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("salt file: %w", err)
	}
	if len(salt) < 16 {
		return nil, fmt.Errorf("salt file %s: %d bytes, want at least 16", path, len(salt))
	}
	return salt, nil
}

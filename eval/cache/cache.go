// Package cache keeps language-model responses in an embedded SQLite
// database (pure Go, modernc.org/sqlite), keyed by the model's content
// hash and the exact request, so that a second run of the same suite — or
// a run resumed after a crash — recomputes nothing.
//
// Every batch of new responses is committed in one transaction before the
// next batch starts, so a killed run loses at most the batch in flight.
// Each row carries a checksum of its key and value; a row that fails it is
// treated as missing (and deleted), and a database that is not a kshot
// cache of this version, or fails SQLite's quick_check, is moved aside and
// rebuilt: the cache can cost time, never a wrong score.
package cache

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// FileName is the database file inside the cache directory.
const FileName = "requests.sqlite"

// schemaVersion changes whenever the stored format or the meaning of a
// cached response changes; older databases are rebuilt.
const schemaVersion = "kshot-request-cache-1"

// Cache is an open request cache. It is safe for concurrent use.
type Cache struct {
	db   *sql.DB
	path string
	// Rebuilt is non-empty when Open had to move an unusable database
	// aside; it says why.
	Rebuilt string
}

// DefaultDir returns the user cache directory for kshot:
// os.UserCacheDir()/kshot ($XDG_CACHE_HOME/kshot on Linux).
func DefaultDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no user cache directory (%v): pass --cache-dir or --no-cache", err)
	}
	return filepath.Join(d, "kshot"), nil
}

// Open opens (creating if needed) the cache database in dir.
func Open(dir string) (*Cache, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cache directory: %w", err)
	}
	path := filepath.Join(dir, FileName)
	c, err := open(path)
	if err == nil {
		return c, nil
	}
	// Unusable: move it aside and start over.
	aside := fmt.Sprintf("%s.broken-%s", path, time.Now().UTC().Format("20060102T150405"))
	if rerr := os.Rename(path, aside); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
		return nil, fmt.Errorf("cache %s is unusable (%v) and cannot be moved aside: %w", path, err, rerr)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		os.Remove(path + suffix)
	}
	c, err2 := open(path)
	if err2 != nil {
		return nil, fmt.Errorf("cache %s: %w", path, err2)
	}
	c.Rebuilt = fmt.Sprintf("cache %s was unusable (%v); moved to %s and rebuilt", path, err, aside)
	return c, nil
}

func open(path string) (*Cache, error) {
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Cache, error) {
		db.Close()
		return nil, err
	}
	var check string
	if err := db.QueryRow("PRAGMA quick_check").Scan(&check); err != nil {
		return fail(err)
	}
	if check != "ok" {
		return fail(fmt.Errorf("quick_check: %s", check))
	}
	stmts := []string{
		`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
		`CREATE TABLE IF NOT EXISTS responses (
			model TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, sum TEXT NOT NULL,
			created INTEGER NOT NULL, PRIMARY KEY (model, key)) WITHOUT ROWID`,
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			return fail(err)
		}
	}
	var v string
	switch err := db.QueryRow(`SELECT value FROM meta WHERE key = 'schema'`).Scan(&v); {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := db.Exec(`INSERT INTO meta (key, value) VALUES ('schema', ?)`, schemaVersion); err != nil {
			return fail(err)
		}
	case err != nil:
		return fail(err)
	case v != schemaVersion:
		return fail(fmt.Errorf("written by another kshot version (format %q, want %q)", v, schemaVersion))
	}
	return &Cache{db: db, path: path}, nil
}

// Path returns the database file's path.
func (c *Cache) Path() string { return c.path }

// Close closes the database.
func (c *Cache) Close() error { return c.db.Close() }

func checksum(model, key string, value []byte) string {
	h := sha256.New()
	h.Write([]byte(model))
	h.Write([]byte{0})
	h.Write([]byte(key))
	h.Write([]byte{0})
	h.Write(value)
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// GetMany returns the cached values of keys for model; missing keys (and
// rows that fail their checksum, which are deleted) are absent.
func (c *Cache) GetMany(model string, keys []string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(keys))
	const chunk = 500
	var bad []string
	for i := 0; i < len(keys); i += chunk {
		part := keys[i:min(i+chunk, len(keys))]
		args := make([]any, 0, len(part)+1)
		args = append(args, model)
		for _, k := range part {
			args = append(args, k)
		}
		q := `SELECT key, value, sum FROM responses WHERE model = ? AND key IN (?` + strings.Repeat(",?", len(part)-1) + `)`
		rows, err := c.db.Query(q, args...)
		if err != nil {
			return nil, fmt.Errorf("cache %s: %w", c.path, err)
		}
		for rows.Next() {
			var k, sum string
			var v []byte
			if err := rows.Scan(&k, &v, &sum); err != nil {
				rows.Close()
				return nil, fmt.Errorf("cache %s: %w", c.path, err)
			}
			if checksum(model, k, v) != sum {
				bad = append(bad, k)
				continue
			}
			out[k] = v
		}
		if err := rows.Close(); err != nil {
			return nil, fmt.Errorf("cache %s: %w", c.path, err)
		}
	}
	for _, k := range bad {
		c.db.Exec(`DELETE FROM responses WHERE model = ? AND key = ?`, model, k)
	}
	return out, nil
}

// PutMany stores values for model in one transaction.
func (c *Cache) PutMany(model string, kv map[string][]byte) error {
	if len(kv) == 0 {
		return nil
	}
	tx, err := c.db.Begin()
	if err != nil {
		return fmt.Errorf("cache %s: %w", c.path, err)
	}
	stmt, err := tx.Prepare(`INSERT OR REPLACE INTO responses (model, key, value, sum, created) VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		tx.Rollback()
		return fmt.Errorf("cache %s: %w", c.path, err)
	}
	now := time.Now().Unix()
	for k, v := range kv {
		if _, err := stmt.Exec(model, k, v, checksum(model, k, v), now); err != nil {
			stmt.Close()
			tx.Rollback()
			return fmt.Errorf("cache %s: %w", c.path, err)
		}
	}
	stmt.Close()
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("cache %s: %w", c.path, err)
	}
	return nil
}

// ModelStats describes one model's entries.
type ModelStats struct {
	Model   string
	Entries int64
	Bytes   int64
	Newest  time.Time
}

// Stats returns per-model entry counts and sizes, most entries first.
func (c *Cache) Stats() ([]ModelStats, error) {
	rows, err := c.db.Query(`SELECT model, COUNT(*), SUM(LENGTH(key) + LENGTH(value)), MAX(created) FROM responses GROUP BY model ORDER BY COUNT(*) DESC, model`)
	if err != nil {
		return nil, fmt.Errorf("cache %s: %w", c.path, err)
	}
	defer rows.Close()
	var out []ModelStats
	for rows.Next() {
		var s ModelStats
		var newest int64
		if err := rows.Scan(&s.Model, &s.Entries, &s.Bytes, &newest); err != nil {
			return nil, err
		}
		s.Newest = time.Unix(newest, 0)
		out = append(out, s)
	}
	return out, rows.Err()
}

// Prune deletes the entries of model (all models when model is "") that
// were written before cutoff (any time when cutoff is zero), then
// compacts the file. It returns the number of entries deleted.
func (c *Cache) Prune(model string, cutoff time.Time) (int64, error) {
	q, args := `DELETE FROM responses WHERE 1=1`, []any{}
	if model != "" {
		q += ` AND model = ?`
		args = append(args, model)
	}
	if !cutoff.IsZero() {
		q += ` AND created < ?`
		args = append(args, cutoff.Unix())
	}
	res, err := c.db.Exec(q, args...)
	if err != nil {
		return 0, fmt.Errorf("cache %s: %w", c.path, err)
	}
	n, _ := res.RowsAffected()
	if _, err := c.db.Exec(`VACUUM`); err != nil {
		return n, fmt.Errorf("cache %s: %w", c.path, err)
	}
	return n, nil
}

// Package pgtest starts a throwaway PostgreSQL server for a test: a fresh
// cluster in the test's temporary directory, listening on 127.0.0.1 only on
// a free port, stopped when the test ends.
//
// It needs the PostgreSQL server binaries (Debian's postgresql package,
// found under /usr/lib/postgresql/<version>/bin, or initdb on PATH), which
// scripts/ci-deps.sh installs. Without them Start fails the test: it never
// skips, so a machine that cannot run the PostgreSQL tests is noticed.
//
// PostgreSQL refuses to run as root, so under root the cluster belongs to the
// postgres OS user and its commands run through `runuser -u postgres --`.
package pgtest

import (
	"bytes"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// Database is the name of the database Start creates.
const Database = "tensorcosm_test"

// MissingBinaries is the failure message when no server binaries are found.
const MissingBinaries = "PostgreSQL server binaries not found: run make deps (scripts/ci-deps.sh installs postgresql)"

// osUser runs the server when the test runs as root.
const osUser = "postgres"

// maxSocketPath is a Unix socket path's limit (sun_path) less a margin.
const maxSocketPath = 100

// startAttempts bounds retries when the free port is taken between picking
// it and the server binding it.
const startAttempts = 3

// Start starts a PostgreSQL server for t and returns a pgx connection string
// for Database on it, as superuser "postgres" with trust authentication.
// The server is stopped (pg_ctl stop -m fast) in t.Cleanup.
func Start(t testing.TB) (dsn string) {
	t.Helper()
	bin, err := BinDir()
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{t: t, bin: bin, dir: t.TempDir()}
	c.sock = c.dir
	if len(c.sock)+len("/.s.PGSQL.65535") > maxSocketPath {
		c.sock = shortDir(t)
	}
	c.prepareOwner()
	c.initdb()
	var port int
	for attempt := 1; ; attempt++ {
		port = freePort(t)
		if err := c.start(port); err == nil {
			break
		} else if attempt == startAttempts {
			t.Fatalf("pgtest: start PostgreSQL: %v\n%s", err, c.logTail())
		}
	}
	t.Cleanup(c.stop)
	c.run(filepath.Join(bin, "createdb"), false, "-h", "127.0.0.1", "-p", strconv.Itoa(port), "-U", "postgres", Database)
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", port, Database)
}

// BinDir returns the directory of the newest installed PostgreSQL server
// binaries: /usr/lib/postgresql/<version>/bin, else the directory of initdb
// on PATH. The error says how to install them.
func BinDir() (string, error) {
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(matches, func(i, j int) bool { return versionOf(matches[i]) > versionOf(matches[j]) })
	for _, m := range matches {
		dir := filepath.Dir(m)
		if isExecutable(filepath.Join(dir, "pg_ctl")) {
			return dir, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil && isExecutable(filepath.Join(filepath.Dir(p), "pg_ctl")) {
		return filepath.Dir(p), nil
	}
	return "", fmt.Errorf("pgtest: %s", MissingBinaries)
}

// versionOf returns the major version in /usr/lib/postgresql/<v>/bin/initdb.
func versionOf(initdb string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(filepath.Dir(initdb))), 64)
	return v
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0
}

// cluster is one server's files and the commands that drive it.
type cluster struct {
	t   testing.TB
	bin string
	dir string // holds data/, the log and usually the socket
	// sock is the Unix socket's directory: dir, unless that makes the
	// socket's path longer than the kernel allows (about 107 bytes).
	sock string
	// asUser is set under root: the server's commands run as osUser.
	asUser bool
}

func (c *cluster) data() string    { return filepath.Join(c.dir, "data") }
func (c *cluster) logFile() string { return filepath.Join(c.dir, "postgres.log") }

// prepareOwner hands the directory to osUser when running as root. The
// testing package makes the temporary directory's parent 0700, so it is
// opened for traversal (not listing) too.
func (c *cluster) prepareOwner() {
	if os.Geteuid() != 0 {
		return
	}
	c.asUser = true
	u, err := user.Lookup(osUser)
	if err != nil {
		c.t.Fatalf("pgtest: running as root, PostgreSQL needs the %q OS user (created by the postgresql package): %v", osUser, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	for _, d := range []string{c.dir, c.sock} {
		if err := os.Chown(d, uid, gid); err != nil {
			c.t.Fatalf("pgtest: chown %s: %v", d, err)
		}
	}
	// the postgres user must traverse the test's temp dir (x only: nothing is listable)
	if err := os.Chmod(filepath.Dir(c.dir), 0o711); err != nil { //nolint:gosec // a directory, search-only for others
		c.t.Fatalf("pgtest: open %s for traversal: %v", filepath.Dir(c.dir), err)
	}
}

func (c *cluster) initdb() {
	c.run(filepath.Join(c.bin, "initdb"), c.asUser,
		"-D", c.data(), "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync")
}

// start runs the server on port, waiting until it accepts connections. The
// socket goes into the cluster's directory, not the system's; fsync is off
// because the data dies with the test.
func (c *cluster) start(port int) error {
	opts := fmt.Sprintf("-k %s -p %d -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
		c.sock, port)
	out, err := c.command(filepath.Join(c.bin, "pg_ctl"), c.asUser,
		"-D", c.data(), "-l", c.logFile(), "-w", "-t", "60", "-o", opts, "start")
	if err != nil {
		return fmt.Errorf("pg_ctl start on port %d: %w\n%s", port, err, out)
	}
	return nil
}

// stop is the cleanup; a failure is reported but the test's result stands.
func (c *cluster) stop() {
	out, err := c.command(filepath.Join(c.bin, "pg_ctl"), c.asUser, "-D", c.data(), "-m", "fast", "-w", "-t", "60", "stop")
	if err != nil {
		c.t.Errorf("pgtest: pg_ctl stop: %v\n%s", err, out)
	}
}

// run runs a command and fails the test when it fails.
func (c *cluster) run(name string, asUser bool, args ...string) {
	c.t.Helper()
	if out, err := c.command(name, asUser, args...); err != nil {
		c.t.Fatalf("pgtest: %s %s: %v\n%s\n%s", filepath.Base(name), strings.Join(args, " "), err, out, c.logTail())
	}
}

// command runs name with args, through runuser when asUser, in the
// cluster's directory (which osUser can enter, unlike the test's).
func (c *cluster) command(name string, asUser bool, args ...string) ([]byte, error) {
	if asUser {
		args = append([]string{"-u", osUser, "--", name}, args...)
		name = "runuser"
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = c.dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

// logTail returns the end of the server log for failure messages.
func (c *cluster) logTail() string {
	b, err := os.ReadFile(c.logFile())
	if err != nil {
		return ""
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return "server log:\n" + string(b)
}

// freePort asks the kernel for a free loopback port. Another process may
// take it before the server binds it; Start retries with a new one.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("pgtest: find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// shortDir makes a directory with a short path for the socket, removed when
// the test ends (after the server has stopped: cleanups run last-in first-out).
func shortDir(t testing.TB) string {
	t.Helper()
	d, err := os.MkdirTemp("/tmp", "pg")
	if err != nil {
		t.Fatalf("pgtest: socket directory: %v", err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(d) })
	return d
}

// NewDatabase creates another, empty database on the server that dsn (from
// Start) points at and returns its connection string: cheaper than a new
// server when each subtest wants a database of its own.
func NewDatabase(t testing.TB, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("pgtest: parse DSN: %v", err)
	}
	bin, err := BinDir()
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("db_%d", dbSeq.Add(1))
	out, err := exec.Command(filepath.Join(bin, "createdb"), "-h", u.Hostname(), "-p", u.Port(), "-U", u.User.Username(), name).CombinedOutput()
	if err != nil {
		t.Fatalf("pgtest: createdb %s: %v\n%s", name, err, out)
	}
	u.Path = "/" + name
	return u.String()
}

// dbSeq numbers the databases NewDatabase makes in this process.
var dbSeq atomic.Int64

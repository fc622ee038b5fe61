package vulndb

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// MaxRecordSize bounds one OSV JSON file; real records are a few KiB.
const MaxRecordSize = 8 << 20

// AddZip adds every .json member of an OSV archive (such as an ecosystem's
// all.zip). Any member that is not a valid record fails the whole archive:
// a truncated or tampered download is refused rather than half-imported.
func (b *Builder) AddZip(ctx context.Context, name string, r io.ReaderAt, size int64) (int, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return 0, fmt.Errorf("%s: not a zip archive: %w", name, err)
	}
	n := 0
	for _, zf := range zr.File {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		if zf.FileInfo().IsDir() || !strings.HasSuffix(zf.Name, ".json") {
			continue
		}
		if zf.UncompressedSize64 > MaxRecordSize {
			return n, fmt.Errorf("%s: %s: record larger than %d bytes", name, zf.Name, MaxRecordSize)
		}
		rc, err := zf.Open()
		if err != nil {
			return n, fmt.Errorf("%s: %s: %w", name, zf.Name, err)
		}
		// Reading to EOF makes archive/zip verify the member's CRC-32.
		data, err := io.ReadAll(io.LimitReader(rc, MaxRecordSize+1))
		rc.Close()
		if err != nil {
			return n, fmt.Errorf("%s: %s: damaged archive: %w", name, zf.Name, err)
		}
		if err := b.AddJSON(name+":"+zf.Name, data); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// AddZipFile adds an archive on disk.
func (b *Builder) AddZipFile(ctx context.Context, file string) (int, error) {
	f, err := os.Open(file)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return b.AddZip(ctx, file, f, st.Size())
}

// AddFS adds every .json file under root in fsys (a directory of OSV
// records, possibly in per-ecosystem subdirectories) and every .zip archive
// found there.
func (b *Builder) AddFS(ctx context.Context, fsys fs.FS, label string) (int, error) {
	n := 0
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		where := path.Join(label, p)
		switch {
		case strings.HasSuffix(p, ".json"):
			info, err := d.Info()
			if err != nil {
				return err
			}
			if info.Size() > MaxRecordSize {
				return fmt.Errorf("%s: record larger than %d bytes", where, MaxRecordSize)
			}
			data, err := fs.ReadFile(fsys, p)
			if err != nil {
				return err
			}
			if err := b.AddJSON(where, data); err != nil {
				return err
			}
			n++
		case strings.HasSuffix(p, ".zip"):
			f, err := fsys.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			ra, ok := f.(io.ReaderAt)
			info, serr := f.Stat()
			if !ok || serr != nil {
				return fmt.Errorf("%s: cannot read archive", where)
			}
			m, err := b.AddZip(ctx, where, ra, info.Size())
			n += m
			return err
		}
		return nil
	})
	return n, err
}

// AddPath adds a local zip archive, or a directory of OSV JSON files and
// archives.
func (b *Builder) AddPath(ctx context.Context, src string) (int, error) {
	st, err := os.Stat(src)
	if err != nil {
		return 0, fmt.Errorf("import source: %w", err)
	}
	if st.IsDir() {
		return b.AddFS(ctx, os.DirFS(src), src)
	}
	return b.AddZipFile(ctx, src)
}

// Import builds a database in dir from a local zip archive or a directory
// of OSV JSON files, replacing any database there only when every record
// was read.
func Import(ctx context.Context, dir, src string, now time.Time) (Meta, error) {
	abs, err := filepath.Abs(src)
	if err != nil {
		abs = src
	}
	b := NewBuilder(abs)
	n, err := b.AddPath(ctx, src)
	if err != nil {
		return Meta{}, err
	}
	if n == 0 {
		return Meta{}, fmt.Errorf("%s holds no OSV records (*.json files or .zip archives of them)", src)
	}
	return b.WriteDir(dir, now)
}

// Fetcher downloads a URL. The CLI provides an HTTP implementation; tests
// point it at a local server.
type Fetcher interface {
	Fetch(ctx context.Context, url string) (io.ReadCloser, error)
}

// MaxArchiveSize bounds one downloaded archive.
const MaxArchiveSize = 8 << 30

// ArchiveURL is where an ecosystem's archive lives under base, in the
// layout of the public OSV bucket: BASE/ECOSYSTEM/all.zip.
func ArchiveURL(base, ecosystem string) string {
	return strings.TrimRight(base, "/") + "/" + url.PathEscape(ecosystem) + "/all.zip"
}

// Update downloads each ecosystem's all.zip from base, checks every archive
// (zip structure, CRC of each member, each member a valid OSV record),
// builds a new index and swaps it in. On any failure the current database
// stays as it was.
func Update(ctx context.Context, dir, base string, ecosystems []string, f Fetcher, now time.Time) (Meta, error) {
	if len(ecosystems) == 0 {
		ecosystems = DefaultEcosystems
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Meta{}, fmt.Errorf("creating database directory: %w", err)
	}
	b := NewBuilder(strings.TrimRight(base, "/"))
	for _, eco := range ecosystems {
		u := ArchiveURL(base, eco)
		if err := fetchInto(ctx, b, dir, u, f); err != nil {
			return Meta{}, fmt.Errorf("%s: %w", eco, err)
		}
	}
	return b.WriteDir(dir, now)
}

func fetchInto(ctx context.Context, b *Builder, dir, u string, f Fetcher) error {
	rc, err := f.Fetch(ctx, u)
	if err != nil {
		return err
	}
	defer rc.Close()
	tmp, err := os.CreateTemp(dir, ".download.*.zip")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	n, err := io.Copy(tmp, io.LimitReader(rc, MaxArchiveSize+1))
	if err != nil {
		return fmt.Errorf("downloading %s: %w", u, err)
	}
	if n > MaxArchiveSize {
		return fmt.Errorf("downloading %s: larger than %d bytes", u, int64(MaxArchiveSize))
	}
	_, err = b.AddZip(ctx, u, tmp, n)
	return err
}

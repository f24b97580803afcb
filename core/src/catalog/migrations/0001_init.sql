-- Library roots: folders the user chose to scan.
CREATE TABLE roots (
    id           INTEGER PRIMARY KEY,
    path         BLOB NOT NULL UNIQUE,      -- raw OS bytes: names need not be UTF-8
    added_at     TEXT NOT NULL,
    last_scan_at TEXT
);

-- Every image file ever found. Rows are never deleted by a scan: a file that disappears is
-- marked 'missing' so that whatever the user attached to it survives until it comes back.
CREATE TABLE photos (
    id            INTEGER PRIMARY KEY,
    root_id       INTEGER NOT NULL REFERENCES roots(id),
    path          BLOB NOT NULL UNIQUE,
    size          INTEGER NOT NULL,
    mtime_ns      INTEGER NOT NULL,
    content_hash  TEXT,                     -- blake3, hex; recognises moved and renamed files
    format        TEXT NOT NULL,            -- by content: jpeg, png, webp, tiff, gif, bmp, heif, avif, raw, unknown
    width         INTEGER,                  -- stored pixels, before EXIF orientation
    height        INTEGER,
    orientation   INTEGER NOT NULL DEFAULT 1 CHECK (orientation BETWEEN 1 AND 8),
    taken_at      TEXT,                     -- local wall-clock time, ISO 8601 without offset
    taken_offset  TEXT,                     -- '+02:00' when the camera recorded it
    gps_lat       REAL,
    gps_lon       REAL,
    camera_make   TEXT,
    camera_model  TEXT,
    status        TEXT NOT NULL CHECK (status IN ('ok', 'unsupported', 'broken', 'missing')),
    first_seen_at TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL,
    checked_at    TEXT NOT NULL             -- when the content was last read and decoded
);
CREATE INDEX photos_root ON photos(root_id);
CREATE INDEX photos_hash ON photos(content_hash);
CREATE INDEX photos_taken ON photos(taken_at);
CREATE INDEX photos_status ON photos(status);

-- Problems with single files. One row per file and kind; a later scan that finds the file
-- healthy removes it. Rows survive the photo (photo_id is optional): a file that is not an
-- image at all has no photo row.
CREATE TABLE file_issues (
    id         INTEGER PRIMARY KEY,
    root_id    INTEGER REFERENCES roots(id),
    path       BLOB NOT NULL,
    photo_id   INTEGER REFERENCES photos(id),
    kind       TEXT NOT NULL,
    severity   TEXT NOT NULL CHECK (severity IN ('error', 'warning')),
    message    TEXT NOT NULL,
    seen_at    TEXT NOT NULL,
    UNIQUE (path, kind)
);
CREATE INDEX file_issues_photo ON file_issues(photo_id);

-- Long jobs (scan now; faces, clustering, fine-tune later). A row left 'running' by a process
-- that died is marked 'interrupted' on the next open; work resumes because every stage is
-- idempotent.
CREATE TABLE jobs (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('running', 'completed', 'cancelled', 'failed', 'interrupted')),
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    done        INTEGER NOT NULL DEFAULT 0,
    total       INTEGER NOT NULL DEFAULT 0,
    message     TEXT
);

-- User settings that belong to this library (thresholds, device preference, ...).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Faces found in photos. Coordinates are pixels of the photo as shown (EXIF orientation
-- applied). A face belongs to the content it was found in: when a photo's content changes,
-- its faces are found again.
CREATE TABLE faces (
    id         INTEGER PRIMARY KEY,
    photo_id   INTEGER NOT NULL REFERENCES photos(id),
    x          REAL NOT NULL,
    y          REAL NOT NULL,
    w          REAL NOT NULL,
    h          REAL NOT NULL,
    score      REAL NOT NULL,
    landmarks  BLOB NOT NULL,   -- 10 little-endian f32: (x, y) of eyes, nose tip, mouth corners
    embedding  BLOB NOT NULL,   -- little-endian f32, L2-normalised
    model      TEXT NOT NULL,   -- detector and embedder that produced it
    created_at TEXT NOT NULL
);
CREATE INDEX faces_photo ON faces(photo_id);

-- One row per photo the face job finished, even when it found no face: what makes the job
-- idempotent and resumable.
CREATE TABLE face_scans (
    photo_id     INTEGER PRIMARY KEY REFERENCES photos(id),
    content_hash TEXT NOT NULL,
    model        TEXT NOT NULL,
    face_count   INTEGER NOT NULL,
    scanned_at   TEXT NOT NULL
);

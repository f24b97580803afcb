-- The orientation a photo file declares itself (its EXIF, or 1 for a HEIF whose container turns
-- it), NULL when it declares none. `photos.orientation` is the one in effect: an XMP sidecar's
-- when the file declares none, and always for a camera RAW file (where Lightroom and darktable
-- keep the user's rotation).
ALTER TABLE photos ADD COLUMN file_orientation INTEGER CHECK (file_orientation BETWEEN 1 AND 8);
-- The orientation the photo's sidecar gave when it was last read (NULL: none).
ALTER TABLE sidecar_reads ADD COLUMN orientation INTEGER CHECK (orientation BETWEEN 1 AND 8);

-- Files in library folders that are not photos of their own: videos, and companions that belong
-- to a photo (the RAW file of a RAW+JPEG pair, the video of a Live Photo, the JPEG of a pair
-- whose RAW file is the photo). Rows are derived from
-- each scan of their folder, so they follow their files (and a companion its photo) through
-- moves, renames and removal.
CREATE TABLE media_files (
    id       INTEGER PRIMARY KEY,
    root_id  INTEGER NOT NULL REFERENCES roots(id),
    path     BLOB NOT NULL UNIQUE,
    kind     TEXT NOT NULL CHECK (kind IN ('video', 'raw', 'image')),
    size     INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    photo_id INTEGER REFERENCES photos(id)      -- the photo it belongs to; NULL for a video of its own
);
CREATE INDEX media_files_root ON media_files(root_id);
CREATE INDEX media_files_photo ON media_files(photo_id);

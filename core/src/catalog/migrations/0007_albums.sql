-- Albums the user makes: a name and a set of photos. Photos are only referred to, never touched.
-- A deleted album keeps its row and its photos (`deleted_at` set), so that deleting one can be
-- undone like any other operation; names are unique among albums not deleted.
CREATE TABLE albums (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    deleted_at TEXT
);
CREATE UNIQUE INDEX albums_live_name ON albums(name COLLATE NOCASE) WHERE deleted_at IS NULL;

CREATE TABLE album_photos (
    album_id INTEGER NOT NULL REFERENCES albums(id),
    photo_id INTEGER NOT NULL REFERENCES photos(id),
    added_at TEXT NOT NULL,
    PRIMARY KEY (album_id, photo_id)
);
CREATE INDEX album_photos_photo ON album_photos(photo_id);

-- Before-images of the albums and memberships an operation changed (see undo_people).
-- `existed` = 0: created by the operation (undo deletes it).
CREATE TABLE undo_albums (
    op_id      INTEGER NOT NULL REFERENCES operations(id),
    album_id   INTEGER NOT NULL,
    existed    INTEGER NOT NULL,
    name       TEXT,
    deleted_at TEXT,
    PRIMARY KEY (op_id, album_id)
);
CREATE TABLE undo_album_photos (
    op_id    INTEGER NOT NULL REFERENCES operations(id),
    album_id INTEGER NOT NULL,
    photo_id INTEGER NOT NULL,
    existed  INTEGER NOT NULL,
    added_at TEXT,
    PRIMARY KEY (op_id, album_id, photo_id)
);

-- Named face regions read from photos' XMP metadata, embedded in the photo or in a sidecar:
-- normalised top-left boxes in the photo as shown. Replaced whenever the photo or its sidecar
-- changes; `state` says what the people pass made of each:
--   'pending'   not matched to a face yet (the faces are not found yet)
--   'applied'   the face it covers is confirmed as the named person (or already was)
--   'no_face'   no face found there; looked at again when the photo's faces are found again
--   'conflict'  the face or the person says otherwise already, or the user undid the import:
--               the user's word stands
CREATE TABLE photo_regions (
    id       INTEGER PRIMARY KEY,
    photo_id INTEGER NOT NULL REFERENCES photos(id),
    source   TEXT NOT NULL CHECK (source IN ('embedded', 'sidecar')),
    name     TEXT NOT NULL,
    x        REAL NOT NULL,
    y        REAL NOT NULL,
    w        REAL NOT NULL,
    h        REAL NOT NULL,
    state    TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'applied', 'no_face', 'conflict')),
    applied_op INTEGER                            -- the operation that confirmed its face
);
CREATE INDEX photo_regions_photo ON photo_regions(photo_id);
CREATE INDEX photo_regions_state ON photo_regions(state);

-- The sidecar each photo had when it was last read ('size:mtime', '' for none), so that a
-- rescan reads only sidecars that changed.
CREATE TABLE sidecar_reads (
    photo_id  INTEGER PRIMARY KEY REFERENCES photos(id),
    signature TEXT NOT NULL
);

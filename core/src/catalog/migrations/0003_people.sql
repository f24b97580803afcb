-- People: those the user named, and the unnamed groups clustering found. A row is never deleted
-- while anything the user did refers to it: a person merged into another keeps its row (and
-- its name) with `merged_into` set, so nothing typed is ever lost and a merge can be undone.
-- Ids are AUTOINCREMENT here and below: an id once shown or journalled never names another row.
CREATE TABLE people (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT,                          -- NULL: an unnamed group found by clustering
    hidden        INTEGER NOT NULL DEFAULT 0,
    cover_face_id INTEGER,                       -- chosen by the user
    typical_face_id INTEGER,                     -- derived: the face closest to the person's mean
    merged_into   INTEGER REFERENCES people(id),
    created_at    TEXT NOT NULL
);

-- Who each face is now. Derived: clustering and matching rewrite it, within the bounds the
-- user's decisions (face_decisions) set. `assigned_by`: 'user' (a decision says so),
-- 'match' (recognised by its nearest confirmed faces), 'cluster' (grouped by clustering).
ALTER TABLE faces ADD COLUMN person_id INTEGER REFERENCES people(id);
ALTER TABLE faces ADD COLUMN assigned_by TEXT;
CREATE INDEX faces_person ON faces(person_id);

-- Operations the user made, newest last; `undone_at` is set when one is undone.
CREATE TABLE operations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL,
    description TEXT NOT NULL,
    done_at     TEXT NOT NULL,
    undone_at   TEXT
);

-- The user's decisions about single faces: the ground truth everything else must respect.
--   'is'         the face is `person_id` (must-link with the person's other confirmed faces)
--   'is_not'     the face is not `person_id` (cannot-link; never suggested again)
--   'not_a_face' the detection is not a face (excluded from people)
-- A decision remembers where its face was (photo and box): when the faces of a photo are found
-- again (a new model, an edited file) the face row is replaced, `face_id` becomes NULL, and the
-- decision is re-attached to the new face at the same place.
CREATE TABLE face_decisions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    face_id    INTEGER REFERENCES faces(id) ON DELETE SET NULL,
    photo_id   INTEGER NOT NULL REFERENCES photos(id),
    x          REAL NOT NULL,
    y          REAL NOT NULL,
    w          REAL NOT NULL,
    h          REAL NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('is', 'is_not', 'not_a_face')),
    person_id  INTEGER REFERENCES people(id),
    op_id      INTEGER NOT NULL REFERENCES operations(id),
    decided_at TEXT NOT NULL,
    CHECK ((kind = 'not_a_face') = (person_id IS NULL))
);
CREATE INDEX face_decisions_face ON face_decisions(face_id);
CREATE INDEX face_decisions_photo ON face_decisions(photo_id);
CREATE INDEX face_decisions_person ON face_decisions(person_id);

-- Before-images of what each operation changed, so that it can be undone exactly.
-- `existed` = 0: the row was created by the operation (undo deletes it).
CREATE TABLE undo_people (
    op_id         INTEGER NOT NULL REFERENCES operations(id),
    person_id     INTEGER NOT NULL,
    existed       INTEGER NOT NULL,
    name          TEXT,
    hidden        INTEGER,
    cover_face_id INTEGER,
    merged_into   INTEGER,
    created_at    TEXT,
    PRIMARY KEY (op_id, person_id)
);
CREATE TABLE undo_decisions (
    op_id       INTEGER NOT NULL REFERENCES operations(id),
    decision_id INTEGER NOT NULL,
    existed     INTEGER NOT NULL,
    face_id     INTEGER,
    photo_id    INTEGER,
    x           REAL,
    y           REAL,
    w           REAL,
    h           REAL,
    kind        TEXT,
    person_id   INTEGER,
    decided_op  INTEGER,
    decided_at  TEXT,
    PRIMARY KEY (op_id, decision_id)
);
CREATE TABLE undo_faces (
    op_id       INTEGER NOT NULL REFERENCES operations(id),
    face_id     INTEGER NOT NULL,
    person_id   INTEGER,
    assigned_by TEXT,
    PRIMARY KEY (op_id, face_id)
);

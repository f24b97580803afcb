-- Faces the user drew where the detector found none (a box in pixels of the photo as shown).
-- The box is the user's word: it outlives the face rows made from it. When the photo's faces
-- are found again (a new model, an edited file) its face row goes with the others; a face is
-- then made from the box again, unless the detector now finds a face there itself. Decisions
-- about the face follow it by place, as for any face.
CREATE TABLE drawn_faces (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    photo_id INTEGER NOT NULL REFERENCES photos(id),
    x        REAL NOT NULL,
    y        REAL NOT NULL,
    w        REAL NOT NULL,
    h        REAL NOT NULL,
    face_id  INTEGER REFERENCES faces(id) ON DELETE SET NULL,
    drawn_at TEXT NOT NULL
);
CREATE INDEX drawn_faces_photo ON drawn_faces(photo_id);
CREATE INDEX drawn_faces_face ON drawn_faces(face_id);

-- Boxes an operation drew, so that undoing it takes them away again.
CREATE TABLE undo_drawn_faces (
    op_id    INTEGER NOT NULL REFERENCES operations(id),
    drawn_id INTEGER NOT NULL,
    PRIMARY KEY (op_id, drawn_id)
);

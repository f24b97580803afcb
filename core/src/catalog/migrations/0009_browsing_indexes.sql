-- The timeline's order (newest first, photos with no date last, by path) as an index, so that a
-- page deep into a listing is a walk along it instead of a sort of every photo.
CREATE INDEX photos_timeline ON photos (taken_at IS NULL, taken_at DESC, path);
-- The timeline's months, counted without reading every photo row.
CREATE INDEX photos_month ON photos (substr(taken_at, 1, 7));
-- What the People listing counts for each person when folders are removed (faces, confirmed
-- faces, photos), in one index.
CREATE INDEX faces_person_photo ON faces (person_id, photo_id, assigned_by);

-- Faces and confirmed faces of each person, kept by triggers as faces are found, placed,
-- corrected and found again, so that the People listing of 10,000 people does not count
-- 200,000 faces each time it opens. Derived, like faces.person_id. (One photo never shows one
-- person twice, so a person's faces are also their photos.)
CREATE TABLE person_face_counts (
    person_id INTEGER PRIMARY KEY,
    faces     INTEGER NOT NULL,
    confirmed INTEGER NOT NULL
);
INSERT INTO person_face_counts (person_id, faces, confirmed)
    SELECT person_id, count(*), coalesce(sum(assigned_by = 'user'), 0) FROM faces
    WHERE person_id IS NOT NULL GROUP BY person_id;

CREATE TRIGGER faces_count_insert AFTER INSERT ON faces WHEN NEW.person_id IS NOT NULL
BEGIN
    INSERT INTO person_face_counts (person_id, faces, confirmed)
        VALUES (NEW.person_id, 1, NEW.assigned_by IS 'user')
        ON CONFLICT (person_id) DO UPDATE SET faces = faces + 1,
            confirmed = confirmed + (NEW.assigned_by IS 'user');
END;

CREATE TRIGGER faces_count_delete AFTER DELETE ON faces WHEN OLD.person_id IS NOT NULL
BEGIN
    UPDATE person_face_counts SET faces = faces - 1, confirmed = confirmed - (OLD.assigned_by IS 'user')
        WHERE person_id = OLD.person_id;
END;

CREATE TRIGGER faces_count_update AFTER UPDATE OF person_id, assigned_by ON faces
    WHEN OLD.person_id IS NOT NEW.person_id OR OLD.assigned_by IS NOT NEW.assigned_by
BEGIN
    UPDATE person_face_counts SET faces = faces - 1, confirmed = confirmed - (OLD.assigned_by IS 'user')
        WHERE person_id = OLD.person_id;
    INSERT INTO person_face_counts (person_id, faces, confirmed)
        SELECT NEW.person_id, 1, NEW.assigned_by IS 'user' WHERE NEW.person_id IS NOT NULL
        ON CONFLICT (person_id) DO UPDATE SET faces = faces + 1,
            confirmed = confirmed + (NEW.assigned_by IS 'user');
END;

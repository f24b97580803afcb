-- The timeline's order (newest first, photos with no date last, by path) as an index, so that a
-- page deep into a listing is a walk along it instead of a sort of every photo.
CREATE INDEX photos_timeline ON photos (taken_at IS NULL, taken_at DESC, path);
-- What the People listing counts for each person (faces, confirmed faces, photos), in one
-- index: the counts of 10,000 people never read the faces themselves.
CREATE INDEX faces_person_photo ON faces (person_id, photo_id, assigned_by);

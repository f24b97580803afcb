-- A person's birth date (YYYY-MM-DD), set by the user: no photo taken before it is theirs, and
-- their age in each photo follows from it. Journalled like the other columns of a person.
ALTER TABLE people ADD COLUMN birth_date TEXT;
ALTER TABLE undo_people ADD COLUMN birth_date TEXT;

-- The norm of a face's embedding before it was normalised: the network's response to the face,
-- one of the signals of how well it sees it. NULL for faces found before it was kept.
ALTER TABLE faces ADD COLUMN embedding_norm REAL;

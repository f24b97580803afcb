-- A folder the user removed from the library. Its row, photos, faces and the user's names stay
-- (nothing the user typed is ever deleted); the folder is no longer scanned and its photos
-- leave listings and searches. Adding the folder again brings everything back.
ALTER TABLE roots ADD COLUMN removed_at TEXT;

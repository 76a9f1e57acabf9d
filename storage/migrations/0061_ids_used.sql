-- The highest id each of these tables ever gave (SQLite only reads it). SQLite numbers a
-- new row one past the highest left, so once /forget (or retention) deleted the highest, a
-- new photo or item took the gone one's id: a leftover copy of a forgotten photo was read
-- as the new one, and item numbers (#N) came round twice. PostgreSQL's identities never
-- reuse an id.
CREATE TABLE ids_used (
    name TEXT NOT NULL PRIMARY KEY,
    high INTEGER NOT NULL
);
INSERT INTO ids_used (name, high) SELECT 'media', COALESCE(MAX(id), 0) FROM media;
INSERT INTO ids_used (name, high) SELECT 'feedback', COALESCE(MAX(id), 0) FROM feedback;
-- An id given again before this was a new photo's, not a forgotten one's.
DELETE FROM media_forgotten WHERE media_id IN (SELECT id FROM media);

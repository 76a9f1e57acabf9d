-- How uncertain a shared location is: Telegram's horizontal accuracy, in metres (a phone
-- located by its cell tower may be 1,500 m off); NULL when not said, or for a site picked
-- from the buttons. Such a point is named after no site its circle of uncertainty could miss
-- (bot/places.py), and the step that names a point later (the service chosen after the
-- location was shared, a "me too" undone) must decide as the first did: it is kept with it.
ALTER TABLE places ADD COLUMN accuracy_m REAL;
ALTER TABLE metoo_undo ADD COLUMN accuracy_m REAL;

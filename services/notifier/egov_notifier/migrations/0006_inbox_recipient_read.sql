-- The in-app feed is read by its recipients only: the person the item is for (their id in
-- the recipients register, matched to the token's subject) or, failing that, whoever holds
-- the item's role at the item's unit. Each item is unread until its reader marks it read.
ALTER TABLE inbox_items ADD COLUMN recipient text;
ALTER TABLE inbox_items ADD COLUMN read_at timestamptz;
CREATE INDEX inbox_items_recipient ON inbox_items (recipient, created_at);

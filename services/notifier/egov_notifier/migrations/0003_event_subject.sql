-- The subject of the event a notification is about (e.g. the dossier code), so the
-- notifications sent about one dossier can be listed (GET /v1/deliveries?about=…).
ALTER TABLE notifications ADD COLUMN event_subject text;
CREATE INDEX notifications_event_subject ON notifications (event_subject)
    WHERE event_subject IS NOT NULL;

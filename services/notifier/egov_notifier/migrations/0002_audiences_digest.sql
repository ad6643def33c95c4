-- Rules with audiences (unit, applicant, subscribers), where the units and the contact come
-- from in the event, and low-priority notifications gathered into a daily digest.

ALTER TABLE rules
    ADD COLUMN audience     text NOT NULL DEFAULT 'unit',      -- unit, applicant, subscribers
    ADD COLUMN unit_path    text NOT NULL DEFAULT 'unit_code', -- e.g. recipients[].unit_code
    ADD COLUMN contact_path text NOT NULL DEFAULT 'applicant_ref',
    ADD COLUMN nearest_only boolean NOT NULL DEFAULT false,
    ADD COLUMN requires     text[] NOT NULL DEFAULT '{}';

ALTER TABLE templates ADD COLUMN html text;                    -- optional e-mail HTML part

ALTER TABLE notifications
    ADD COLUMN priority  text NOT NULL DEFAULT 'normal',
    ADD COLUMN html      text,
    ADD COLUMN digest_id uuid REFERENCES notifications (id);   -- the digest that carried it

-- status 'digest': waiting for the recipient's daily digest (due at next_attempt_at);
-- status 'digested': handed to the digest notification ``digest_id``, which is then tracked.
CREATE INDEX notifications_digest_due ON notifications (next_attempt_at)
    WHERE status = 'digest';
CREATE INDEX notifications_recent_per_recipient ON notifications (channel, recipient, delivered_at)
    WHERE delivered_at IS NOT NULL;

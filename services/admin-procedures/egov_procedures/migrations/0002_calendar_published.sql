-- When each calendar exception was last published on egov.reference.calendar: the exceptions
-- recorded before publishing existed (NULL) are published by the calendar refresh.
ALTER TABLE calendar_exceptions ADD COLUMN published_at timestamptz;

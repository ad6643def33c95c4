-- A version of the units read model, changed by every statement that changes the table, so a
-- process keeps the hierarchy in memory and reads the table again only when it changed. Taken
-- from a sequence: a rolled-back change never hands its number to a committed one.
CREATE SEQUENCE units_version_seq;
CREATE TABLE units_version (
    one      boolean PRIMARY KEY DEFAULT true CHECK (one),
    instance uuid NOT NULL DEFAULT gen_random_uuid(),  -- this database's table, not another's
    version  bigint NOT NULL DEFAULT nextval('units_version_seq')
);
INSERT INTO units_version DEFAULT VALUES;
CREATE FUNCTION units_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE units_version SET version = nextval('units_version_seq');
    RETURN NULL;
END $$;
CREATE TRIGGER units_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON units
    FOR EACH STATEMENT EXECUTE FUNCTION units_changed();

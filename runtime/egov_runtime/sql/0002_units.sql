-- Every service's read model of the admin-unit and agency hierarchy (egov.reference.units).
CREATE TABLE units (
    unit_code      text PRIMARY KEY,
    name           text NOT NULL,
    level          text NOT NULL,
    parent_code    text,
    valid_from     date,
    valid_to       date,
    successor_code text,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX units_parent ON units (parent_code);

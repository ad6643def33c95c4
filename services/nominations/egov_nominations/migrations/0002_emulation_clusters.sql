-- Emulation clusters and blocs (cụm, khối thi đua) by year, their member units, and the
-- leading collective(s) each cluster's meeting proposed for the year (suy tôn dẫn đầu): the
-- evidence of the province's Cờ thi đua. Every recording is kept in the log.

CREATE TABLE emulation_clusters (
    cluster_id   text NOT NULL,
    year         integer NOT NULL CHECK (year BETWEEN 1975 AND 2100),
    name         text NOT NULL,
    unit_code    text NOT NULL,              -- the unit that runs the cluster and records it
    recorded_by  text NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (cluster_id, year)
);
CREATE INDEX emulation_clusters_unit ON emulation_clusters (unit_code, year);

CREATE TABLE emulation_cluster_members (
    cluster_id  text NOT NULL,
    year        integer NOT NULL,
    unit_code   text NOT NULL,
    PRIMARY KEY (cluster_id, year, unit_code),
    FOREIGN KEY (cluster_id, year) REFERENCES emulation_clusters (cluster_id, year)
);
CREATE INDEX emulation_cluster_members_unit ON emulation_cluster_members (unit_code, year);

-- The cluster meeting that proposed the year's leading collective(s).
CREATE TABLE emulation_cluster_proposals (
    cluster_id         text NOT NULL,
    year               integer NOT NULL,
    meeting_reference  text NOT NULL,
    meeting_on         date NOT NULL,
    recorded_by        text NOT NULL,
    recorded_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (cluster_id, year),
    FOREIGN KEY (cluster_id, year) REFERENCES emulation_clusters (cluster_id, year)
);

-- A leader is always a member of its cluster that year.
CREATE TABLE emulation_cluster_leaders (
    cluster_id  text NOT NULL,
    year        integer NOT NULL,
    unit_code   text NOT NULL,
    PRIMARY KEY (cluster_id, year, unit_code),
    FOREIGN KEY (cluster_id, year) REFERENCES emulation_cluster_proposals (cluster_id, year),
    FOREIGN KEY (cluster_id, year, unit_code)
        REFERENCES emulation_cluster_members (cluster_id, year, unit_code)
);
CREATE INDEX emulation_cluster_leaders_unit ON emulation_cluster_leaders (unit_code, year);

-- Who recorded what, and when: the composition or the leaders as recorded each time.
CREATE TABLE emulation_cluster_log (
    log_id       bigserial PRIMARY KEY,
    cluster_id   text NOT NULL,
    year         integer NOT NULL,
    what         text NOT NULL CHECK (what IN ('composition', 'leaders')),
    recorded     jsonb NOT NULL,
    recorded_by  text NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX emulation_cluster_log_cluster ON emulation_cluster_log (cluster_id, year);

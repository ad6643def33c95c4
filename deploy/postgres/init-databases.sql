-- One database per service, each owned by the service's own role and reachable by no other
-- (run by the postgres image on the first start of an empty volume, as the cluster's owner
-- `egov`, which only the backup job and operators use; the services and their migrations
-- connect as their own role, so each one owns its tables).
--
-- Passwords come from the container's environment (docker-compose.yml passes them from .env);
-- psql's \getenv reads them, so they are never written here. An unset password stops the
-- script (the variable stays unexpanded and the statement fails).
--
-- CONNECTION LIMIT: each replica of a service opens at most DB_POOL_MAX (10) pooled connections
-- plus the outbox relay's leader lock and the migrations; 30 lets two replicas run side by side
-- through a rolling upgrade. The sum stays under max_connections (200, docker-compose.yml).

\getenv procedures_password EGOV_PROCEDURES_DB_PASSWORD
\getenv indicators_password EGOV_INDICATORS_DB_PASSWORD
\getenv nominations_password EGOV_NOMINATIONS_DB_PASSWORD
\getenv notifier_password EGOV_NOTIFIER_DB_PASSWORD
\getenv console_password EGOV_CONSOLE_DB_PASSWORD

CREATE ROLE egov_procedures LOGIN PASSWORD :'procedures_password' CONNECTION LIMIT 30;
CREATE ROLE egov_indicators LOGIN PASSWORD :'indicators_password' CONNECTION LIMIT 30;
CREATE ROLE egov_nominations LOGIN PASSWORD :'nominations_password' CONNECTION LIMIT 30;
CREATE ROLE egov_notifier LOGIN PASSWORD :'notifier_password' CONNECTION LIMIT 30;
CREATE ROLE egov_console LOGIN PASSWORD :'console_password' CONNECTION LIMIT 20;

CREATE DATABASE egov_procedures OWNER egov_procedures;
CREATE DATABASE egov_indicators OWNER egov_indicators;
CREATE DATABASE egov_nominations OWNER egov_nominations;
CREATE DATABASE egov_notifier OWNER egov_notifier;
CREATE DATABASE egov_console OWNER egov_console;

-- PUBLIC may connect to any database by default: only each owner (and the cluster's owner)
-- may connect to its database. PostgreSQL 15+ gives the public schema to the database owner.
REVOKE ALL ON DATABASE egov_procedures FROM PUBLIC;
REVOKE ALL ON DATABASE egov_indicators FROM PUBLIC;
REVOKE ALL ON DATABASE egov_nominations FROM PUBLIC;
REVOKE ALL ON DATABASE egov_notifier FROM PUBLIC;
REVOKE ALL ON DATABASE egov_console FROM PUBLIC;

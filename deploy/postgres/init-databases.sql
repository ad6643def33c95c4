-- One database per service (database-per-service), owned by the application role.
CREATE DATABASE egov_procedures OWNER egov;
CREATE DATABASE egov_indicators OWNER egov;
CREATE DATABASE egov_nominations OWNER egov;
CREATE DATABASE egov_notifier OWNER egov;
CREATE DATABASE egov_console OWNER egov;

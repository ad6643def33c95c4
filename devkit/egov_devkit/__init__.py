"""Development and test tooling of egov-events: the local stack (``python -m
egov_devkit.devstack``, what ``make run`` starts), the crash drills and the sample service they
exercise, and the pytest fixtures (a real Kafka-protocol broker and PostgreSQL).

A dev-only workspace member: the root ``dev`` dependency group installs it, no production
package depends on it, and an import contract (``pyproject.toml``) forbids production code to
import it, so the service image ships neither the local broker nor embedded PostgreSQL.
"""

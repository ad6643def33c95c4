"""Use cases: commands and queries in one transaction each, and the events they emit."""

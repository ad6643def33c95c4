"""The admin-unit hierarchy, date-aware: validity, parents and successors after mergers."""

from egov_units.hierarchy import MAX_DEPTH, AdminUnit, Hierarchy

__all__ = ["MAX_DEPTH", "AdminUnit", "Hierarchy"]

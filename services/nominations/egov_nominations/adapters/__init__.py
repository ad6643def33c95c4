"""PostgreSQL stores and spreadsheet files."""

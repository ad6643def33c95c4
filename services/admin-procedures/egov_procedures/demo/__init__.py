"""Demo data of admin-procedures: the catalogue and a year of generated dossiers."""

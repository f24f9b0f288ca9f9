"""Hub data sets of the paper study: staging them once as Parquet in their own schema
(stage), reading only those files afterwards (staged) and recording what a run read
(provenance). Which data sets a config needs is pipeline/catalog.py. Every compute job runs
offline (offline)."""

"""Hub data sets of the paper study: which ones a config needs (catalog), staging them
once as Parquet in their own schema (stage), and reading only those files afterwards
(staged). Every compute job runs offline (offline)."""

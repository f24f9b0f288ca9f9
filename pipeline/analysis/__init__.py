"""Analysis: everything here reads only the study's Parquet tables."""

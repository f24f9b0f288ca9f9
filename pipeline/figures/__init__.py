"""Figures: one function per paper figure, each reading one Parquet table."""

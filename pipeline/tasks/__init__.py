"""Downstream tasks: each names its data source, its metric and its difficulty axis."""

"""junkdna: the Junk DNA Hypothesis study as a Snakemake workflow.

Every Snakemake rule calls exactly one CLI verb of this package
(``python -m pipeline <verb> ...``), so each step runs and tests without Snakemake.
"""

__version__ = "0.1.0"

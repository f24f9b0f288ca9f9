"""A warm worker for the local default study: one process that has torch, transformers and
the other heavy libraries imported forks a child per job, so a job's start-up costs a fork
instead of ~3 s of imports (bench/bench_startup.py measures it).

Nothing about a job changes for Snakemake or the user: every rule still runs
``python -m pipeline VERB ...``, one job per cell. That command first offers the job to the
worker named by ``JUNKDNA_WORKER_SOCKET`` (``client``); the worker forks a child that takes
over the job's argv, cwd, environment and stdin/stdout/stderr (passed over a Unix socket)
and runs the same ``pipeline.cli.main`` the process itself would (``server``). With no
worker reachable, or one that refuses the job (other interpreter, other checkout, other
environment, threads running), the command runs the job in its own process as before.

The Snakefile's ``onstart`` starts one worker per local Snakemake run and ``onsuccess`` /
``onerror`` stop it (``lifecycle``); it also stops when idle or when Snakemake is gone.
``JUNKDNA_WORKER=0`` turns it off; non-local executors (SLURM) and SLURM jobs never use it.
"""

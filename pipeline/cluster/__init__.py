"""Running the study on a cluster: what each job asks of SLURM (its walltime, memory and
pack, from the work it does), what a dry run requests against a partition's limits, the
checks before a real run (placeholders, the GPU check) and the settings that keep planning
the paper's ~5,700 jobs fast. Nothing here changes a job's command or its results."""

"""The environment that keeps compute jobs off the network.

Snakemake prefixes every rule's shell command with ``OFFLINE_PREFIX`` (rules/data.smk);
only the staging rules, which run where the internet is (the login node), switch it back
with ``ONLINE_PREFIX``. With these set, huggingface_hub, transformers and datasets raise
instead of downloading, so a compute job that would need the network fails loudly.
"""

OFFLINE_VARS = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE")
OFFLINE_ENV = dict.fromkeys(OFFLINE_VARS, "1")  # the warm worker runs in it (Snakefile)
OFFLINE_PREFIX = "export " + " ".join(f"{v}=1" for v in OFFLINE_VARS) + "; "
ONLINE_PREFIX = "export " + " ".join(f"{v}=0" for v in OFFLINE_VARS) + "; "

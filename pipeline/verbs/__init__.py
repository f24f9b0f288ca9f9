"""CLI verbs: each module is one workflow step (HELP, add_arguments, run)."""

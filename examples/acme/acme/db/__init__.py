"""Database access. Service code imports ``db_wrapper`` from here and nothing else."""

"""Training and export code (torch); only installed with the `train` extra, never imported at run time."""

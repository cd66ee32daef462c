"""Data folder of the bundled `sim_small` example (a package so that wheels ship its files)."""

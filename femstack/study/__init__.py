"""Studies over many cases of a design: searches and sweeps."""

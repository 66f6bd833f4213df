"""The scheduler process: it decides *when*; the domain services in `bot` decide *what*."""

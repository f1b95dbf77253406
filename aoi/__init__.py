"""AOI: the composition root (the `aoi` CLI and settings)."""

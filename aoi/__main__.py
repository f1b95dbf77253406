"""`python -m aoi` runs the CLI."""

from aoi.cli import main

main()

"""The command line: the only place that parses a command line. One module per command group."""

from megacluster.cli.app import app, main

__all__ = ["app", "main"]

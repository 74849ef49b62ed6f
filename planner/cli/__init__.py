"""The command line, a thin layer over the library: ``pull-planner`` is :func:`main`."""

from planner.cli.main import main

__all__ = ["main"]

"""Values: platforms, references, manifests, Windows builds, errors, text and units, stats,
YAML with positions; and the release of pull-planner (also in pyproject.toml; a test keeps
them equal)."""

__all__ = ["__version__"]

__version__ = "0.1.0"

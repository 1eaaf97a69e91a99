"""syncbeat: a task manager for a shop's catalog imports and exports."""

__version__ = "0.1.0"

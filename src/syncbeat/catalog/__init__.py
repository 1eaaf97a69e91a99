"""The catalog interface and its adapters."""

"""Chapter 4 · Running it: one rule per module, ``<id>_<name>.py``."""

"""Chapter 1 · Service code: one rule per module, ``<id>_<name>.py``."""

"""Chapter 2 · Getting the code container-ready: one rule per module, ``<id>_<name>.py``."""

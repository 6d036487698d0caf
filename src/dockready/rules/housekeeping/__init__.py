"""Chapter 0 · Housekeeping: one rule per module, ``<id>_<name>.py``."""

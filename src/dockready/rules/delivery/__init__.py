"""Chapter 5 · Delivering it: one rule per module, ``<id>_<name>.py``."""

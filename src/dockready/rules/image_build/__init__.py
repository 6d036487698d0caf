"""Chapter 3 · Building the image: one rule per module, ``<id>_<name>.py``."""

"""Rules: one module per rule in a package per checklist chapter
(``rules/<chapter>/<id>_<name>.py``), found by ``registry.all_rules``."""

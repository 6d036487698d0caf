"""Typed, frozen facts parsed once from each file, and the project index that joins them.

Rules read facts only; they never parse files or poke at raw dicts.
"""

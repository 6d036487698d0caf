"""Reporters: each takes a ``Result`` (never the engine) and renders one format."""

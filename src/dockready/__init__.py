"""dockready: get Go services into Docker and Kubernetes without the usual failures."""

__version__ = "0.1.0"

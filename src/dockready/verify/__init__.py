"""``dockready verify``: the service's image built and run in a real Docker engine the
way its Kubernetes workload says, and what happened, as chapter 6 findings."""

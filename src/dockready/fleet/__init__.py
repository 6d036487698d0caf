"""``dockready fleet``: many repositories audited with the engine of ``check``, their
readiness per service and checklist chapter, and the history of runs in SQLite.

- ``sources``: what a SOURCE is (a directory, a list file, a git URL and its cache);
- ``isolate``: one repository checked in a child process that can be killed;
- ``worker``: the task a pool worker runs (``audit_task``): sync, check, summarise;
- ``readiness``: chapter status, score and blockers of a service (``docs/fleet.md``);
- ``runner``: the repositories through a ``concurrent.futures.Executor``, progress;
- ``db``: the versioned SQLite history, its migrations, ``diff`` between runs;
- ``output``: the text summary and the versioned JSON document.
"""

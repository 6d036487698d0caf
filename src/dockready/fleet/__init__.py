"""``dockready fleet``: many repositories audited with the engine of ``check``, their
readiness per service and checklist chapter, and the history of runs in SQLite.

- ``sources``: what a SOURCE is (a directory, a list file, a git URL and its cache);
- ``isolate``: one repository checked in a child process that can be killed;
- ``worker``: the task a pool worker runs (``audit_task``): sync, check, summarise;
- ``rehearsal``: ``--verify``, each service with a Dockerfile run in Docker through
  the code path of ``dockready verify`` (chapter 6);
- ``readiness``: chapter status, score and blockers of a service (``docs/fleet.md``);
- ``graph``: the names each service answers to, the addresses it calls, and the
  certain edges between services across the fleet;
- ``waves``: migration waves from the graph and readiness (Tarjan, leaves first),
  and their CSV, Markdown and JSON exports;
- ``runner``: the repositories through a ``concurrent.futures.Executor`` (a local
  process pool, or a Dask cluster's), progress;
- ``db``: the versioned SQLite history, its migrations, the run stored repository by
  repository (``Recorder``), ``diff`` between runs (findings and flipped rules);
- ``output``: the text summary and the versioned JSON document;
- ``dashboard``: the HTML dashboard (``--output html=``), rendered from the JSON document;
- ``ci``: SARIF and JUnit across the fleet (``--output sarif=``, ``junit=``).
"""

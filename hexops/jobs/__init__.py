"""The worker: background jobs run unattended, supervised, each run on record.

- :mod:`hexops.jobs.registry`: the jobs and their periods (the single list).
- :mod:`hexops.jobs.runner`: lease a due job, run it, record it; the worker loop.
- :mod:`hexops.jobs.supervisor`: the web server and the workers as one
  supervised group (``hexops serve``, ``make demo``).
"""

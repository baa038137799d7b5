"""hexops: risk maps and deployment plans from a city's camera network, on H3 and PostGIS.

The rooms of the package, from the top of the flow down (docs/contributing.md
gives the rule for each):

- :mod:`hexops.cli`, :mod:`hexops.dashboard`: entry points; parse, call one service, render.
- :mod:`hexops.bootstrap`: the composition root (settings, database, unit of work).
- :mod:`hexops.services`: one use case each, owning its transaction.
- :mod:`hexops.democity`: the deterministic demo city.
- :mod:`hexops.ingest`, :mod:`hexops.vault`, :mod:`hexops.detectors`: adapters,
  clip storage and video detectors.
- :mod:`hexops.geodata`: PostGIS, H3 storage and every SQL statement.
- :mod:`hexops.analytics`: pure functions and models (no database, no web).

Importing the package connects to nothing.
"""

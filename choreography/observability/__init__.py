"""Observability: what an operator watches, in the Prometheus format at ``/metrics``.

- ``metrics``: the metric definitions and the one-line calls the other rooms make (requests,
  generation stages, admission, FFmpeg processes, tempo variants, failures);
- ``storage_bytes``: the storage used by kind, computed from the database at scrape time;
- ``multiprocess``: one set of numbers over every ``serve --workers N`` worker;
- ``views``: the ``/metrics`` endpoint, for staff and CHOREO_METRICS_ALLOW addresses.
"""

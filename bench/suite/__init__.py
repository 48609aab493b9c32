"""The side-by-side benchmark run of ``bench/run_all.py``, split by role:

* :mod:`suite.ours`: our workloads (embedded engine, actors), each run in a fresh
  interpreter, and the SQLite floor;
* :mod:`suite.engines`: the peers' environment and the :class:`~suite.engines.Run`
  that runs every workload of every engine in its own process;
* :mod:`suite.table`: the comparison table (medians, min–max, ratios, targets);
* :mod:`suite.report`: the header (machine, versions, load) and ``RESULTS.md``.
"""

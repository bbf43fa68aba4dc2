"""Grader side of the hidden tests: suites (which probe, which verdict, how many points),
verdicts, numerics and the seed salt. Numpy only; never imported by a worker.

No worker can read this package in any form (source, bytecode, installed copy): the worker's
file system is an allow-list that does not contain it. The worker side (probes, spies,
numpy-only input generators) is ``autograder.probes``.
"""

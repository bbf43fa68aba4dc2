"""Hidden tests of the ``pytorch`` assignment.

- ``instances``: numpy-only generators of test inputs from a seed (worker and grader both use them)
- ``probes``: run in the worker; import torch; call learner functions; record plain observations
- ``suite``: run in the grader; numpy only; expected values and verdicts
"""

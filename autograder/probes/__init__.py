"""Worker side of the hidden tests: probes that call the learner's functions and record plain
observations, the spies and trusted networks they use, and numpy-only input generators.

This package is what a worker imports (before any learner code exists); it holds no expected
value and no verdict. The grader side (suites, verdicts, numerics, the seed salt) is
``autograder.hidden``, which no worker can read in any form. Worker-side modules import nothing
from ``autograder.hidden``; a test keeps it that way.
"""

"""Hidden tests of the ``tf2`` assignment: ``probes*``/``spies`` (worker, import tensorflow),
``verdicts_*``/``suite`` (grader, numpy only). Shared parts live in ``autograder.hidden.common``."""

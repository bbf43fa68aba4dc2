"""Hidden tests of the ``tf1`` assignment (a TF1 static graph): ``probes*`` run in the worker,
``verdicts_*``/``suite`` in the grader. Shared parts live in ``autograder.hidden.common``."""

"""The sandboxed worker: runs the learner's code and trusted probes, sends back plain data.

Nothing here decides a score. Verdicts live in the grader process (``autograder.hidden``).
"""

"""The dlcourse grading engine: build notebooks from one source, grade submissions safely.

Learner code runs in a separate worker process (``autograder.worker``); hidden tests' verdicts run
here (``autograder.hidden``). See ``docs/`` and the README for the data flow.
"""

__version__ = "0.1.0"

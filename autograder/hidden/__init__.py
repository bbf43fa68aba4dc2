"""Hidden tests: probes (run in the worker) and verdicts (run in the grader).

Never shipped to learners and never imported by ``course_utils``. Per assignment:
``instances.py`` and ``probes*.py``/``spies.py`` are what a worker imports; ``suite.py``,
``verdicts_*.py``, ``numerics.py`` and ``base.py`` are grader-only and are hidden from workers.
This ``__init__`` must stay free of imports: a worker imports it on the way to the probes.
"""

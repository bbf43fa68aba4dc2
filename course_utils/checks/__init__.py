"""Public checks for notebooks: ``check("<step>")`` runs quick checks in the learner's kernel.

These are not the hidden tests: they use their own small, fixed examples, never import
``autograder``, and never see expected values of the graded tests.
"""

from course_utils.checks.runner import Checker, CheckResult, StepReport

__all__ = ["CheckResult", "Checker", "StepReport"]

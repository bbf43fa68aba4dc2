"""Exports of the course to other grading tools: nbgrader, otter-grader, Gradescope."""

TEST_CELL_PREFIX = "hidden-tests-"
"""``grade_id`` prefix of the nbgrader export's hidden-test cells."""

"""Instructor outputs made from result records: gradebook, feedback pages, class analytics.

Every output reads the same :class:`~autograder.results.SubmissionResult` records (the JSON files
``dlcourse grade --out`` writes): one source of truth for points.
"""

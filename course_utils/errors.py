"""The one root exception of the package: every error we raise on purpose derives from it."""


class CourseError(Exception):
    """Base class for errors raised by dlcourse (course_utils and autograder)."""


class ChecksumError(CourseError):
    """A downloaded file does not have the sha256 it should have."""


class UnknownDatasetError(CourseError, KeyError):
    """A dataset name that is not in the registry."""

"""What learners import: data, seeding, layouts, devices, and ``check()`` for notebooks.

Importing this package is cheap: it never imports torch or tensorflow itself.
"""

from course_utils.data import DIGITS, REGISTRY, Dataset, get_dataset, load_npz, stratified_split
from course_utils.errors import CourseError
from course_utils.practice import practice
from course_utils.seeding import seed_everything

__all__ = [
    "DIGITS",
    "REGISTRY",
    "CourseError",
    "Dataset",
    "get_dataset",
    "load_npz",
    "practice",
    "seed_everything",
    "stratified_split",
]

"""``python -m course_utils FILE [STEP]``: the public checks from a terminal."""

import sys

from course_utils.cli import main

sys.exit(main())

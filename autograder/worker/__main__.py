"""``python -I -m autograder.worker REQUEST_FD RESPONSE_FD`` (the sandbox boots it the same way)."""

import sys

from autograder.worker.runtime import serve

if __name__ == "__main__":
    serve(int(sys.argv[1]), int(sys.argv[2]))

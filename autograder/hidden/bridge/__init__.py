"""Hidden tests of the ``bridge`` assignment: PyTorch probes and TensorFlow probes run in two
workers; verdicts compare their observations in the grader."""

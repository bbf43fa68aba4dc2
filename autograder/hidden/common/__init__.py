"""Hidden-test parts shared by every assignment: inputs from seeds, the download / data / report
probes and their verdicts, and observation helpers that work for numpy, torch and tensorflow."""

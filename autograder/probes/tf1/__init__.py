"""Worker-side probes: tf1."""

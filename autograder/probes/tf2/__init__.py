"""Worker-side probes: tf2."""

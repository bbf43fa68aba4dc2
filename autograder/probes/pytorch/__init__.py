"""Worker-side probes: pytorch."""

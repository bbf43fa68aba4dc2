"""Worker-side probes: bridge."""

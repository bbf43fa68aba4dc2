"""Worker-side probes: common."""

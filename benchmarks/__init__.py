"""Timing scripts that print medians: run each with ``python -m benchmarks.<script>``."""

"""Economic-geography metrics: pure functions of arrays (filled in by the metrics module)."""

"""Use cases. Each service gets its ports through its constructor and returns domain values."""

"""Test oracles: slow, obviously right, not shipped."""

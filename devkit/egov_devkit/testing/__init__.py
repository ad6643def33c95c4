"""Test fixtures shared by every package (a pytest plugin)."""

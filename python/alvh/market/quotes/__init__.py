"""Quotes in: option chains and futures quotes read into neutral tables, and the symbols that
name options and futures."""

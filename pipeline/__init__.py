"""Offline Chinese->English translation and polish pipeline for Amazon appeals."""

__version__ = "0.1.0"

"""Seeded, reproducible generator of Arbor's sample feature universe, data and models."""

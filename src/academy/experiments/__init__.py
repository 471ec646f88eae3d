"""Experiments, feature flags and launches (issue 8).

`academy.experiments.assignment` is the Django-free core: GrowthBook-compatible hashing,
targeting conditions and feature evaluation. The Django app (models, console, `/api/v1/flags`)
is built on top of it.
"""

"""Recommendations: feed and entry points. The Django-free engine lives in `engine/`."""

"""Django-free recommender engine: sources, ranker, re-ranker, evaluation."""

"""Recommenders behind one interface: popularity, item-kNN, ALS, EASE and the hybrid."""

from academy.recsys.engine.models.als import ALS
from academy.recsys.engine.models.base import Recommender, top_k
from academy.recsys.engine.models.ease import EASE
from academy.recsys.engine.models.knn import ItemKNN
from academy.recsys.engine.models.popularity import Popularity

__all__ = ["ALS", "EASE", "ItemKNN", "Popularity", "Recommender", "top_k"]

"""Creator-facing search pages (views in views.py); Studio's content gaps are under /studio/."""

from django.urls import path

from academy.search import views

app_name = "search"

urlpatterns = [
    path("search/", views.search, name="search"),
    path("search/suggest/", views.suggest, name="suggest"),
    path("search/go/", views.go, name="go"),
    path("t/<path:tag>", views.hashtag, name="hashtag"),
]

"""The creator's For You page (views in views.py); the JSON API is under /api/v1/ (api.py)."""

from django.urls import path

from academy.recsys import views

app_name = "for_you"

urlpatterns = [
    path("for-you/", views.feed, name="feed"),
    path("for-you/go/", views.go, name="go"),
    path("for-you/not-interested/", views.not_interested, name="not_interested"),
    path("for-you/show-again/", views.show_again, name="show_again"),
    path("for-you/settings/", views.settings_page, name="settings"),
    path("for-you/reset/", views.reset_page, name="reset"),
]

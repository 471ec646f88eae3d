"""Creator-facing catalog pages: courses, lessons, the Creator Wiki (views in views.py)."""

from django.urls import path

from academy.catalog import views

app_name = "catalog"

urlpatterns = [
    path("learn/", views.courses, name="courses"),
    path("learn/<slug:course_slug>/", views.course, name="course"),
    path("learn/<slug:course_slug>/<slug:lesson_slug>/", views.lesson, name="lesson"),
    path("wiki/", views.wiki, name="wiki"),
    path("wiki/<slug:slug>/", views.wiki_article, name="wiki_article"),
]

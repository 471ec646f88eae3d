"""Studio: content authoring and planning for editors (views in studio_views.py)."""

from django.urls import path

from academy.catalog import studio_views as views
from academy.search import views as search_views

app_name = "studio"

COURSE = "courses/<slug:slug>/"
LESSON = "courses/<slug:slug>/lessons/<slug:lesson>/"
WIKI = "wiki/<slug:slug>/"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("calendar/", views.calendar, name="calendar"),
    path("content-gaps/", search_views.content_gaps, name="content_gaps"),
    # Courses
    path("courses/new/", views.course_new, name="course_new"),
    path(COURSE, views.course_detail, name="course"),
    path(f"{COURSE}edit/", views.course_edit, name="course_edit"),
    path(f"{COURSE}reorder/", views.course_reorder, name="course_reorder"),
    path(f"{COURSE}workflow/", views.course_workflow, name="course_workflow"),
    path(f"{COURSE}preview/", views.course_preview_view, name="course_preview"),
    path(f"{COURSE}translate/<str:language>/", views.course_translate, name="course_translate"),
    # Lessons
    path(f"{COURSE}lessons/new/", views.lesson_new, name="lesson_new"),
    path(LESSON, views.lesson_detail, name="lesson"),
    path(f"{LESSON}edit/", views.lesson_edit_view, name="lesson_edit"),
    path(f"{LESSON}workflow/", views.lesson_workflow, name="lesson_workflow"),
    path(f"{LESSON}preview/", views.lesson_preview_view, name="lesson_preview"),
    path(f"{LESSON}translate/<str:language>/", views.lesson_translate, name="lesson_translate"),
    # Wiki
    path("wiki/new/", views.wiki_new, name="wiki_new"),
    path(WIKI, views.wiki_detail, name="wiki"),
    path(f"{WIKI}edit/", views.wiki_edit, name="wiki_edit"),
    path(f"{WIKI}workflow/", views.wiki_workflow, name="wiki_workflow"),
    path(f"{WIKI}reviewed/", views.wiki_reviewed, name="wiki_reviewed"),
    path(f"{WIKI}preview/", views.wiki_preview_view, name="wiki_preview"),
    path(f"{WIKI}translate/<str:language>/", views.wiki_translate, name="wiki_translate"),
    path(f"{WIKI}history/<str:language>/", views.wiki_history, name="wiki_history"),
    path(f"{WIKI}history/<str:language>/compare/", views.wiki_diff, name="wiki_diff"),
    path(f"{WIKI}history/<str:language>/<int:number>/", views.wiki_revision, name="wiki_revision"),
    path(
        f"{WIKI}history/<str:language>/<int:number>/restore/",
        views.wiki_restore,
        name="wiki_restore",
    ),
]

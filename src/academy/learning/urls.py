"""Creator-facing learning pages: enrolment, progress, quizzes, achievements, certificates."""

from django.urls import path

from academy.learning import views

app_name = "learning"

urlpatterns = [
    path("learn/<slug:course_slug>/enrol/", views.enrol, name="enrol"),
    path(
        "learn/<slug:course_slug>/<slug:lesson_slug>/done/", views.lesson_done, name="lesson_done"
    ),
    path("learn/<slug:course_slug>/<slug:lesson_slug>/quiz/", views.quiz, name="quiz"),
    path("me/learning/", views.achievements, name="achievements"),
    path("certificates/<slug:code>/", views.certificate, name="certificate"),
]

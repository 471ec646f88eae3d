"""Creator-facing learning pages: enrolment, progress, quizzes, achievements, certificates."""


app_name = "learning"

urlpatterns: list[object] = []

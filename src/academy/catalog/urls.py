"""Creator-facing catalog pages: courses, lessons, the Creator Wiki (views in views.py)."""


app_name = "catalog"

urlpatterns: list[object] = []

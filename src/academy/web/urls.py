from django.urls import path

from academy.web import views

app_name = "web"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("home/", views.home, name="home"),
    path("console/", views.console, name="console"),
    path("operator/", views.operator, name="operator"),
]

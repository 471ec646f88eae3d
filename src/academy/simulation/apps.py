from django.apps import AppConfig


class SimulationConfig(AppConfig):
    name = "academy.simulation"
    label = "simulation"
    verbose_name = "Simulation"

"""Django-free statistics engine (experiments, insights). Imports no Django."""

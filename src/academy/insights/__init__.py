"""Insights: KPI definitions, dashboard tiles computed from the event rollups, their JSON API."""

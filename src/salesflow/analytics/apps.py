from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "salesflow.analytics"
    label = "analytics"

from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "salesflow.activities"
    label = "activities"

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "salesflow.core"
    label = "core"

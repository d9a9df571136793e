from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "salesflow.demo"
    label = "demo"

from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "salesflow.customers"
    label = "customers"

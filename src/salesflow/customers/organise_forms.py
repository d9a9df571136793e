"""Forms for categories and tags: the category tree page, the customer list's filters and
selection, and the customer form. They parse input; the services decide what is valid."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from salesflow.core.scoping import Actor
from salesflow.customers import categories, tags
from salesflow.customers.models import Customer, CustomerTag, Tag, TagColour

# Indents a category under its parent in a select (a select shows no markup).
INDENT = "\u2003"


def category_choices(actor: Actor) -> list[tuple[int, str]]:
    """Every category, depth first and indented by depth, for a select."""
    return [
        (node.category.pk, INDENT * node.depth + node.category.name)
        for node in categories.flatten(categories.tree(actor))
    ]


def _category_field(choices: list[tuple[int, str]], label: Any, empty: Any) -> forms.Field:
    return forms.TypedChoiceField(
        label=label,
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", empty), *choices],
    )


def add_filter_fields(form: forms.Form, actor: Actor) -> None:
    """The customer list's category filter (with every category below it) and tag chips,
    once the workspace has tags."""
    form.fields["category"] = _category_field(
        category_choices(actor), _("Category"), _("Any category")
    )
    choices = [(tag.pk, tag.name) for tag in tags.tags(actor)]
    if choices:
        form.fields["tag"] = forms.TypedMultipleChoiceField(
            label=_("Tags"),
            required=False,
            coerce=int,
            choices=choices,
            widget=forms.CheckboxSelectMultiple(attrs={"class": "tag-choices"}),
        )


def add_customer_fields(form: forms.Form, actor: Actor) -> None:
    """A customer's category and tags on the customer form."""
    form.fields["category"] = _category_field(
        category_choices(actor), _("Category"), _("No category")
    )
    form.fields["tags"] = forms.TypedMultipleChoiceField(
        label=_("Tags"),
        required=False,
        coerce=int,
        choices=[(tag.pk, tag.name) for tag in tags.tags(actor)],
        widget=forms.CheckboxSelectMultiple(attrs={"class": "tag-choices"}),
        help_text=_("New tags are added on the customer's page or under Categories and tags."),
    )


def customer_data(form: forms.Form) -> dict[str, Any]:
    return {
        "category_id": form.cleaned_data["category"],
        "tag_ids": list(form.cleaned_data["tags"]),
    }


def customer_initial(customer: Customer) -> dict[str, Any]:
    return {
        "category": customer.category_id,
        "tags": list(
            CustomerTag.objects.filter(customer=customer).values_list("tag_id", flat=True)
        ),
    }


class CategoryAddForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)


class CategoryRenameForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    version = forms.IntegerField(widget=forms.HiddenInput)


class CategoryMoveForm(forms.Form):
    category = forms.TypedChoiceField(label=_("Move"), coerce=int)
    parent = forms.TypedChoiceField(label=_("Under"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["category"]).choices = choices
        cast(forms.ChoiceField, self.fields["parent"]).choices = [
            ("", _("The top level")),
            *choices,
        ]


class CategoryStepForm(forms.Form):
    """One place up or down among the siblings."""

    position = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput)


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class TagForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=50)
    colour = forms.ChoiceField(
        label=_("Colour"), required=False, choices=[("", _("No colour")), *TagColour.choices]
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    @staticmethod
    def initial_of(tag: Tag) -> dict[str, Any]:
        return {"name": tag.name, "colour": tag.colour, "version": tag.version}


class CustomerTagForm(forms.Form):
    name = forms.CharField(label=_("Add a tag"), max_length=50)


class IdsField(forms.Field):
    """Ids checked in a list; the service checks each against what the actor sees."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        try:
            return [int(item) for item in value or ()]
        except (TypeError, ValueError) as invalid:
            raise ValidationError(_("Enter whole numbers."), code="invalid") from invalid


class SelectionForm(forms.Form):
    """The customers checked on the list and what to do with them."""

    ACTIONS = {
        "move": _("Move to category"),
        "tag": _("Add tag"),
        "untag": _("Remove tag"),
    }

    customer = IdsField(required=False)
    action = forms.ChoiceField(label=_("With the selected customers"), choices=ACTIONS.items())
    category = forms.TypedChoiceField(
        label=_("Category"), coerce=int, required=False, empty_value=None
    )
    tag = forms.TypedChoiceField(label=_("Tag"), coerce=int, required=False, empty_value=None)
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        # Its own ids: the list's filters beside it have a category field too.
        kwargs.setdefault("auto_id", "selection_%s")
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["category"]).choices = [
            ("", _("No category")),
            *category_choices(actor),
        ]
        cast(forms.ChoiceField, self.fields["tag"]).choices = [
            ("", "—"),
            *((tag.pk, tag.name) for tag in tags.tags(actor)),
        ]

"""The search terms keyed by (workspace, rank, term, customer), the order searches read, in
place of the index of that order, with an index on (customer, term) in place of the old key:
the table is made anew and the terms copied over (Django cannot change a composite key in
place)."""

import django.db.models.deletion
import salesflow.customers.models
from django.conf import settings
from django.db import migrations, models

COLUMNS = ("workspace_id", "owner_id", "customer_id", "rank", "term")


def copy(source, target):
    def run(apps, schema_editor):
        quote = schema_editor.quote_name
        tables = [quote(apps.get_model("customers", m)._meta.db_table) for m in (source, target)]
        columns = ", ".join(quote(c) for c in COLUMNS)
        schema_editor.execute(
            f"INSERT INTO {tables[1]} ({columns}) SELECT {columns} FROM {tables[0]}"
        )

    return run


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0002_notifications'),
        ('customers', '0012_searchterm_keyed_by_customer_and_term'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(model_name='searchterm', name='searchterm_by_term'),
        migrations.RemoveIndex(model_name='searchterm', name='searchterm_by_owner'),
        migrations.RenameModel(old_name='SearchTerm', new_name='OldSearchTerm'),
        migrations.CreateModel(
            name='SearchTerm',
            fields=[
                ('pk', models.CompositePrimaryKey('workspace', 'rank', 'term', 'customer', blank=True, editable=False, primary_key=True, serialize=False)),
                ('rank', models.PositiveSmallIntegerField()),
                ('term', salesflow.customers.models.TermField(max_length=64)),
                ('customer', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='customers.customer')),
                ('owner', models.ForeignKey(db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('workspace', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='core.workspace')),
            ],
            options={
                'indexes': [
                    models.Index(fields=['workspace', 'owner', 'rank', 'term', 'customer'], name='searchterm_by_owner'),
                    models.Index(fields=['customer', 'term'], name='searchterm_by_customer'),
                ],
            },
        ),
        migrations.RunPython(copy('OldSearchTerm', 'SearchTerm'), copy('SearchTerm', 'OldSearchTerm')),
        migrations.DeleteModel(name='OldSearchTerm'),
    ]

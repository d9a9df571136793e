"""A customer's search terms indexed by the customer alone: the term beside it made the index
cost an import's COPY of a batch's terms nearly twice as much, and a customer's fifteen-odd
terms are read from the table as fast."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0013_searchterm_keyed_in_search_order'),
    ]

    operations = [
        migrations.RemoveIndex(model_name='searchterm', name='searchterm_by_customer'),
        migrations.AddIndex(
            model_name='searchterm',
            index=models.Index(fields=['customer'], name='searchterm_by_customer'),
        ),
    ]

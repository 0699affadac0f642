# Retention (privacy.retention) reads due rows per company: conversations by last change, events by when applied.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('conversations', '0006_sweep_indexes_per_company'),
        ('customers', '0002_customer_table'),
        ('tenants', '0002_company_test_mode_help'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='conversation',
            index=models.Index(fields=['company', 'updated_at'], name='conversation_updated_idx'),
        ),
        migrations.AddIndex(
            model_name='inboundevent',
            index=models.Index(condition=models.Q(('processed_at__isnull', False)), fields=['company', 'processed_at'], name='inbound_applied_idx'),
        ),
    ]

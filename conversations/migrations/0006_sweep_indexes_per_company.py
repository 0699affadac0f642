# The sweeps' partial indexes lead with company: a sweep reads one company's due rows at a time (tenants.sweeps).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('conversations', '0005_customer_in_customers'),
        ('tenants', '0002_company_test_mode_help'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='message',
            name='message_queued_due_idx',
        ),
        migrations.RemoveIndex(
            model_name='message',
            name='message_received_idx',
        ),
        migrations.RemoveIndex(
            model_name='message',
            name='message_in_document_idx',
        ),
        migrations.AddIndex(
            model_name='message',
            index=models.Index(condition=models.Q(('status', 'queued')), fields=['company', 'send_after'], name='message_queued_due_idx'),
        ),
        migrations.AddIndex(
            model_name='message',
            index=models.Index(condition=models.Q(('status', 'received')), fields=['company', 'created_at'], name='message_received_idx'),
        ),
        migrations.AddIndex(
            model_name='message',
            index=models.Index(condition=models.Q(('direction', 'in'), ('kind', 'document')), fields=['company', 'created_at'], name='message_in_document_idx'),
        ),
    ]

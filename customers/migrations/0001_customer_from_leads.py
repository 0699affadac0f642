# Customer moves from leads to customers without touching its rows: this migration only tells
# Django's state that customers.Customer exists, still on the leads_customer table. The apps holding
# foreign keys re-point them in state next, leads drops Customer from its state, and
# 0002_customer_table renames the table.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('leads', '0003_importedcart'),
        ('tenants', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='Customer',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(blank=True, max_length=200, verbose_name='name')),
                        ('phone', models.CharField(blank=True, help_text='E.164, e.g. +5511987654321', max_length=20, verbose_name='phone')),
                        ('email', models.EmailField(blank=True, max_length=254, verbose_name='email')),
                        ('provider_contact_ids', models.JSONField(blank=True, default=dict, verbose_name='provider contact ids')),
                        ('opted_out_at', models.DateTimeField(blank=True, null=True, verbose_name='opted out at')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                        ('company', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenants.company', verbose_name='company')),
                    ],
                    options={
                        'verbose_name': 'customer',
                        'verbose_name_plural': 'customers',
                        'ordering': ['name', 'id'],
                        'db_table': 'leads_customer',
                        'indexes': [models.Index(fields=['company', 'created_at'], name='customer_company_created_idx')],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('phone', ''), _negated=True), fields=('company', 'phone'), name='customer_unique_phone'), models.UniqueConstraint(condition=models.Q(('email', ''), _negated=True), fields=('company', 'email'), name='customer_unique_email')],
                    },
                ),
            ],
        ),
    ]

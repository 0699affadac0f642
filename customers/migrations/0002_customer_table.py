# The moved Customer takes its own app's table name (a rename: rows, ids, indexes and the foreign
# keys pointing at it stay), and its content type follows it so that permissions, admin history
# and generic relations keep pointing at the same model.

from django.db import migrations


def content_type_move(apps, schema_editor, old="leads", new="customers"):
    content_type = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not content_type.objects.using(db).filter(app_label=new, model="customer").exists():
        content_type.objects.using(db).filter(app_label=old, model="customer").update(app_label=new)


def content_type_back(apps, schema_editor):
    content_type_move(apps, schema_editor, old="customers", new="leads")


def primary_key_rename(apps, schema_editor, old="leads_customer_pkey", new="customers_customer_pkey"):
    # PostgreSQL keeps an index's name through a table rename; give the key the name a fresh table has.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER INDEX IF EXISTS {old} RENAME TO {new}")


def primary_key_back(apps, schema_editor):
    primary_key_rename(apps, schema_editor, old="customers_customer_pkey", new="leads_customer_pkey")


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('customers', '0001_customer_from_leads'),
        ('leads', '0005_customer_moved_to_customers'),
    ]

    operations = [
        migrations.AlterModelTable(name='customer', table=None),
        migrations.RunPython(primary_key_rename, primary_key_back),
        migrations.RunPython(content_type_move, content_type_back),
    ]

import factory
from django.contrib.auth import get_user_model

from tenants.models import Company, CompanySetting, Membership


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Company {n}")
    slug = factory.Sequence(lambda n: f"company-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    is_staff = True
    password = factory.django.Password("pw-for-tests")


class CompanyOwnedFactory(factory.django.DjangoModelFactory):
    """Base for every tenant-owned factory: related factories inherit the parent's company."""

    class Meta:
        abstract = True

    company = factory.SubFactory(CompanyFactory)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return model_class._base_manager.create(*args, **kwargs)


class MembershipFactory(CompanyOwnedFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = Membership.Role.MANAGER


class CompanySettingFactory(CompanyOwnedFactory):
    class Meta:
        model = CompanySetting

    key = factory.Sequence(lambda n: f"setting-{n}")
    value_type = CompanySetting.ValueType.STRING
    value = "x"

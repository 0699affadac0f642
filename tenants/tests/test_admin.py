from tenants.middleware import SESSION_KEY
from tenants.models import CompanySetting, Membership
from tenants.tests.factories import CompanySettingFactory, MembershipFactory, UserFactory


def test_manager_sees_only_their_company(admin_client_a, company_a, company_b):
    CompanySettingFactory(company=company_a, key="mine")
    CompanySettingFactory(company=company_b, key="theirs")

    settings_page = admin_client_a.get("/admin/tenants/companysetting/")
    companies_page = admin_client_a.get("/admin/tenants/company/")

    assert [s.key for s in settings_page.context["cl"].result_list] == ["mine"]
    assert [c.slug for c in companies_page.context["cl"].result_list] == [company_a.slug]


def test_manager_cannot_switch_to_a_company_they_do_not_belong_to(admin_client_a, company_a, company_b):
    admin_client_a.post("/admin/switch-company/", {"company_id": company_b.pk})

    page = admin_client_a.get("/admin/tenants/company/")

    assert [c.slug for c in page.context["cl"].result_list] == [company_a.slug]


def test_member_of_two_companies_switches_between_them(client, company_a, company_b):
    user = MembershipFactory(company=company_a, user=UserFactory(username="both")).user
    MembershipFactory(company=company_b, user=user)
    CompanySettingFactory(company=company_b, key="b-setting")
    client.force_login(user)

    client.post("/admin/switch-company/", {"company_id": company_b.pk, "next": "/admin/"})
    page = client.get("/admin/tenants/companysetting/")

    assert client.session[SESSION_KEY] == company_b.pk
    assert [s.key for s in page.context["cl"].result_list] == ["b-setting"]


def test_superuser_sees_all_companies_then_switches_to_one(client, company_a, company_b):
    root = UserFactory(username="root", is_superuser=True)
    CompanySettingFactory(company=company_a, key="a")
    CompanySettingFactory(company=company_b, key="b")
    client.force_login(root)

    everything = client.get("/admin/tenants/companysetting/")
    client.post("/admin/switch-company/", {"company_id": company_b.pk})
    only_b = client.get("/admin/tenants/companysetting/")

    assert sorted(s.key for s in everything.context["cl"].result_list) == ["a", "b"]
    assert [s.key for s in only_b.context["cl"].result_list] == ["b"]
    assert b"company-switcher" in only_b.content


def test_company_is_set_on_save_and_not_a_form_field(admin_client_a, company_a):
    form_page = admin_client_a.get("/admin/tenants/companysetting/add/")

    response = admin_client_a.post(
        "/admin/tenants/companysetting/add/",
        {"key": "pix_merchant_name", "value": "Olá", "description": ""},
    )

    assert "company" not in form_page.context["adminform"].form.fields
    assert response.status_code == 302
    assert CompanySetting.objects.for_company(company_a).get(key="pix_merchant_name").value == "Olá"


def test_duplicate_in_admin_is_a_form_error(admin_client_a, company_a):
    CompanySettingFactory(company=company_a, key="pix_key")

    response = admin_client_a.post("/admin/tenants/companysetting/add/", {"key": "pix_key", "value": "x"})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert CompanySetting.objects.for_company(company_a).count() == 1


def test_viewer_reads_but_cannot_write(client, viewer_a, company_a):
    setting = CompanySettingFactory(company=company_a, key="k")
    client.force_login(viewer_a)

    listing = client.get("/admin/tenants/companysetting/")
    add = client.get("/admin/tenants/companysetting/add/")
    delete = client.post(f"/admin/tenants/companysetting/{setting.pk}/delete/", {"post": "yes"})

    assert listing.status_code == 200
    assert add.status_code == 403
    assert delete.status_code == 403
    assert CompanySetting.objects.for_company(company_a).filter(pk=setting.pk).exists()


def test_user_without_membership_sees_no_company_data(client, company_a):
    CompanySettingFactory(company=company_a)
    client.force_login(UserFactory(username="stranger"))

    assert client.get("/admin/tenants/companysetting/").status_code == 403


def test_admin_is_in_portuguese_by_default(client):
    page = client.get("/admin/login/")

    assert "Usuário" in page.content.decode()


def test_agent_role_label_is_translated(admin_client_a, company_a):
    page = admin_client_a.get("/admin/tenants/membership/")

    assert Membership.Role.MANAGER.label in ("Manager", "Gerente")
    assert "Gerente" in page.content.decode()


def test_a_setting_url_pointing_inside_is_a_form_error(admin_client_a, company_a, settings):
    settings.ALLOW_PRIVATE_PROVIDER_URLS = False

    response = admin_client_a.post(
        "/admin/tenants/companysetting/add/",
        {"key": "tiny_base_url", "value": "http://127.0.0.1:8000/api2"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["value"] == [
        "This URL points to a private or local address, which is not allowed."
    ]
    assert not CompanySetting.objects.for_company(company_a).filter(key="tiny_base_url").exists()

from tenants.selectors import user_companies


def current_company(request):
    """The company switcher's data for the admin header."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_staff:
        return {}
    return {
        "current_company": getattr(request, "company", None),
        "switchable_companies": list(user_companies(user).only("id", "name")),
    }

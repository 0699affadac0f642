"""The WordPress site's own settings (``<prefix>options``) that imports need: its time zone.

WordPress keeps the zone chosen under Settings → General as ``timezone_string`` (an IANA name such as
``America/Manaus``) or, when a manual offset ("UTC-4") was chosen, ``timezone_string`` empty and
``gmt_offset`` the hours (``-4``, ``5.5``); `current_time()` (CartFlows' cart time) uses it.
"""

from decimal import Decimal, InvalidOperation

from integrations.wordpress.sql import existing_tables, fetch_all, placeholders, quoted_table, site_zone

TIMEZONE_OPTIONS = ("timezone_string", "gmt_offset")


def wordpress_timezone(conn, prefix: str) -> str | None:
    """The site's zone as a name `sql.site_zone` reads (``America/Manaus`` or ``UTC-04:00``), or None
    when the options table or both options are missing or unusable."""
    if f"{prefix}options" not in existing_tables(conn, [f"{prefix}options"]):
        return None
    rows = fetch_all(
        conn,
        f"SELECT option_name, option_value FROM {quoted_table(prefix, 'options')} "
        f"WHERE option_name IN ({placeholders(len(TIMEZONE_OPTIONS))})",
        TIMEZONE_OPTIONS,
        action="read the site's time zone",
    )
    values = {row["option_name"]: (row["option_value"] or "").strip() for row in rows}
    name = values.get("timezone_string", "")
    if name and not name.upper().startswith("UTC"):
        try:
            site_zone(name)
        except ValueError:
            name = ""
        else:
            return name
    offset_text = values.get("gmt_offset", "") or name[3:]  # "UTC-4" may also sit in timezone_string
    try:
        hours = Decimal(offset_text or "x")
    except InvalidOperation:
        return None
    if not -14 <= hours <= 14:
        return None
    minutes = int(abs(hours) * 60)
    sign = "-" if hours < 0 else "+"
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}" if minutes else "UTC"

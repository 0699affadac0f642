"""Export writers every list shares (CSV, Excel, TXT, WhatsApp list, Google Sheets) and the API's
period filter. A plain package on a low layer: it reads customers' phone module and the tenants'
settings, and no domain app, so carts, orders and leads all use it without importing each other."""

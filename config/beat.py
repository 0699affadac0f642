"""The reviewed list of periodic jobs, synced into django-celery-beat by `sync_beat_schedule`.

Each entry: name -> task, schedule in seconds or a crontab dict, queue. Staff can then pause or
retime any of them in the admin (Periodic tasks); a re-sync restores only what changed here.
"""

PERIODIC_TASKS = {
    # Daily at 03:30 local time: drop expired Django sessions.
    "sessions-clear-expired": {
        "task": "tenants.tasks.sessions_clear_expired_task",
        "crontab": {"minute": "30", "hour": "3"},
        "queue": "maintenance",
    },
    # Every 5 minutes: conversations idle past the company's state_stale_reset_min go back to the start.
    "flows-reset-stale-states": {
        "task": "flows.tasks.flow_positions_reset_stale_task",
        "every_seconds": 300,
        "queue": "maintenance",
    },
    # Every CHANNEL_HEALTH_INTERVAL_SECONDS (30 s): check due channels, reconnect with backoff.
    "channels-health": {
        "task": "conversations.tasks.channels_health_task",
        "every_seconds": 30,
        "queue": "maintenance",
    },
    # Every minute: re-send outbound messages stuck in queued, expire those that outwaited a disconnection.
    "outbound-sweep": {
        "task": "conversations.tasks.outbound_sweep_task",
        "every_seconds": 60,
        "queue": "maintenance",
    },
    # Every minute: apply raw events whose apply task was refused or lost; process buffered inbound
    # messages whose debounce task was lost.
    "inbound-sweep": {
        "task": "conversations.tasks.inbound_sweep_task",
        "every_seconds": 60,
        "queue": "maintenance",
    },
    # Every minute: remind idle carts, cancel those idle past cart_abandoned_cancel_min, cancel unpaid Pix orders.
    "carts-sweep-abandoned": {
        "task": "carts.tasks.carts_sweep_abandoned_task",
        "every_seconds": 60,
        "queue": "maintenance",
    },
    # Every minute: ask completed orders for a 1..5 rating after rating_delay_min.
    "orders-request-ratings": {
        "task": "orders.tasks.orders_request_ratings_task",
        "every_seconds": 60,
        "queue": "maintenance",
    },
    # Daily at 04:00: each company's retention (raw inbound events, received files, conversations of
    # customers who never ordered, untouched bot carts, export zips) and expired session contexts;
    # queues itself again while batches come back full.
    "privacy-retention": {
        "task": "privacy.tasks.privacy_retention_task",
        "crontab": {"minute": "0", "hour": "4"},
        "queue": "maintenance",
    },
    # Daily at 02:30: incremental WooCommerce/Form Vibes import of every company with a WordPress source.
    "leads-import-daily": {
        "task": "leads.tasks.imports_daily_task",
        "crontab": {"minute": "30", "hour": "2"},
        "queue": "imports",
    },
}

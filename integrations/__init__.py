"""Clients for external systems: they speak HTTP/SQL and return plain data; no domain models here."""

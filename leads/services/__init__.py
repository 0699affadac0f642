"""Writes of the leads app: customers merged across sources, lead imports."""

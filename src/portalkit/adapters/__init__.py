"""Adapters: implementations of portalkit's ports (memory, SQLAlchemy, SMTP …)."""

"""Thin integrations of portalkit into web frameworks.

Each module wires the framework-agnostic :class:`portalkit.Portal` into one
framework with the same verbs: set-up (``init_app``), ``portal_from()``,
``principal_from()``, a per-request policy, and one error-to-HTTP mapping.
Nothing here makes an access decision: every decision is a service call.
Importing :mod:`portalkit` never imports this package or any framework.
"""

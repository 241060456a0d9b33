"""The pure core of portalkit: records, rules and specifications.

Nothing here does I/O or imports anything but the standard library, attrs and
portalkit's own ``errors``/``perms``; ``tests/test_layers.py`` holds it to that.
"""

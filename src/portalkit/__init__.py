"""portalkit: the engine under a customer self-service portal.

Import :class:`Portal` and build it with :meth:`Portal.from_url`. Importing
``portalkit`` loads no web framework and no database driver.
"""

from portalkit._version import __version__ as __version__

__all__ = ["__version__"]

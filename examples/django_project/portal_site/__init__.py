"""The example Django project: portalkit added to an ordinary Django site."""

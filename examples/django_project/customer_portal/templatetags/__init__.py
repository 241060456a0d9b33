"""Template filters of the example's pages."""

"""The example's customer pages: asset lookup, asset page, jobs, documents, sign-in."""

"""Dev tooling shared by the tests and scripts/ (never imported by the app)."""

"""Canvas Dashboard: Canvas LMS data synced into PostgreSQL and served to a Streamlit app."""

__version__ = "0.1.0"

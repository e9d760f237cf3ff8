"""ai-log-trail-migrate: move an AI Log Trail SQLite database into PostgreSQL."""

__version__ = "0.1.0"

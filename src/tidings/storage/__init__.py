"""Storage adapters: SQLAlchemy Core over SQLite or PostgreSQL."""

"""Persistence: SQLAlchemy tables, migrations, and the registry and tracking stores."""

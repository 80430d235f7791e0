"""Database layer: models, engine, URLs, migrations and the unit of work."""

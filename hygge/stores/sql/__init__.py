"""SQL stores: PostgreSQL, SQLite and SQL Server on one core (`store`, `dialect`, `records`)."""

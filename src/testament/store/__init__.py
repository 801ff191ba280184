"""Persistence: SQLAlchemy 2 tables mapped onto the domain classes, the database engine
(SQLite with WAL by default, PostgreSQL in production), and Alembic migrations.

Pitfalls: on SQLite every write transaction begins IMMEDIATE, so two writers never
deadlock upgrading a read lock; read-only sessions stay DEFERRED and run beside writers.
"""

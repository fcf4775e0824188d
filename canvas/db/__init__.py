"""Everything that speaks SQL lives in this package; nothing above it sees SQLAlchemy's errors.

* `engine`    the one engine factory (`make_engine`, `get_engine`), the embedded PostgreSQL,
              migrations; converts every database failure to `canvas.errors.DatabaseError`.
* `session`   transactions with bounded lock/idle waits, and `listen` (LISTEN/NOTIFY wake-ups).
* `tables`    the schema as SQLAlchemy Core tables (migrations live in `migrations/`).
* `repo`      writes: users, tokens, the cache, sync runs.   `jobs`  the sync_jobs leases and
              worker heartbeats.   `reads`  the dashboard's queries as DataFrames.
* `retention` the one place that deletes history.   `scratch`  throw-away databases for tests.

SQL style: Core expressions on `tables` for single-table reads and writes (mostly `repo`); a
`text()` statement with bound parameters where PostgreSQL-specific, set-based or locking SQL says
it better (leases, retention, multi-table reads). Never string-formatted values.
"""

-- Least privilege: the schema's owner, who runs these migrations, grants each service what its statements in
-- LockoutSql need and nothing more. Lockout.DatabaseManager creates the roles (with their passwords) before this runs.
-- GRANT and REVOKE with column lists are standard SQL and Oracle's, except column-level SELECT (Oracle: a view).

-- The API: logins and the admin reads select USERS and LOCKOUT_EVENTS; the admin path creates users, never with a
-- lock already set (USER_ID and the lock's time columns are left to the table).
GRANT SELECT ON USERS TO LOCKOUT_API;
GRANT INSERT (USERNAME, NORMALIZED_USERNAME, PASSWORD_HASH, LOCK_STATUS, LOCK_VERSION, CREATED_AT) ON USERS TO LOCKOUT_API;
GRANT SELECT ON LOCKOUT_EVENTS TO LOCKOUT_API;

-- The writer records each event once (INSERT … ON CONFLICT … RETURNING EVENT_ID reads the key) and applies lock
-- decisions: it matches on the username and version, and writes the lock columns alone. It never reads a password hash.
GRANT INSERT ON LOCKOUT_EVENTS TO LOCKOUT_WRITER;
GRANT SELECT (EVENT_ID) ON LOCKOUT_EVENTS TO LOCKOUT_WRITER;
GRANT SELECT (NORMALIZED_USERNAME, LOCK_VERSION) ON USERS TO LOCKOUT_WRITER;
GRANT UPDATE (LOCK_STATUS, LOCKED_AT, LOCKED_UNTIL, LOCK_VERSION) ON USERS TO LOCKOUT_WRITER;

-- The purge deletes with the owner's rights. PostgreSQL lets PUBLIC execute every new function: without this the API
-- could have purged too.
REVOKE EXECUTE ON FUNCTION PURGE_EXPIRED_EVENTS(TIMESTAMP WITH TIME ZONE, INTEGER) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION PURGE_EXPIRED_EVENTS(TIMESTAMP WITH TIME ZONE, INTEGER) TO LOCKOUT_WRITER;

-- The writer waits until the schema is at its version before it consumes: it reads the migration journal (DbUp's).
GRANT SELECT ON schemaversions TO LOCKOUT_WRITER;

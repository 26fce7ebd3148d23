-- Audit rows of usernames that do not exist, and of decisions about sources alone, are kept only for a retention: a
-- credential-stuffing list of made-up names or a botnet's addresses must not fill the table. Real users' rows stay.
-- The writer may not delete audit rows itself; it calls this function, which deletes only those rows
-- (PostgreSQL: SECURITY DEFINER; Oracle: a definer-rights procedure, the default there).

CREATE INDEX IX_LOCKOUT_EVENTS_OCCURRED_AT ON LOCKOUT_EVENTS (OCCURRED_AT);

CREATE FUNCTION PURGE_EXPIRED_EVENTS(OLDER_THAN TIMESTAMP WITH TIME ZONE, MAX_ROWS INTEGER)
RETURNS INTEGER
LANGUAGE SQL
SECURITY DEFINER
SET search_path = public
AS $$
    WITH doomed AS (
        SELECT e.EVENT_ID
          FROM LOCKOUT_EVENTS e
         WHERE e.OCCURRED_AT < OLDER_THAN
           AND (e.USERNAME IS NULL
                OR NOT EXISTS (SELECT 1 FROM USERS u WHERE u.NORMALIZED_USERNAME = e.USERNAME))
         LIMIT MAX_ROWS
    ), deleted AS (
        DELETE FROM LOCKOUT_EVENTS WHERE EVENT_ID IN (SELECT EVENT_ID FROM doomed) RETURNING 1
    )
    SELECT COUNT(*)::INTEGER FROM deleted
$$;

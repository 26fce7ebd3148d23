namespace Lockout.Database;

/// <summary>
/// Every SQL statement Lockout runs, in one place. Parameters are named <c>@Name</c> (Oracle: <c>:Name</c>);
/// anything PostgreSQL-specific says what Oracle would use instead.
/// </summary>
public static class LockoutSql
{
    /// <summary>The login path's only query: the password hash and the authoritative lock status.</summary>
    public const string FindUserForLogin = """
        SELECT PASSWORD_HASH AS PasswordHash,
               LOCK_STATUS   AS LockStatus,
               LOCKED_UNTIL  AS LockedUntil,
               LOCK_VERSION  AS LockVersion
          FROM USERS
         WHERE NORMALIZED_USERNAME = @NormalizedUsername
        """;

    public const string FindLockStatus = """
        SELECT USERNAME     AS Username,
               LOCK_STATUS  AS LockStatus,
               LOCKED_AT    AS LockedAt,
               LOCKED_UNTIL AS LockedUntil,
               LOCK_VERSION AS LockVersion
          FROM USERS
         WHERE NORMALIZED_USERNAME = @NormalizedUsername
        """;

    public const string InsertUser = """
        INSERT INTO USERS (USERNAME, NORMALIZED_USERNAME, PASSWORD_HASH, LOCK_STATUS, LOCK_VERSION, CREATED_AT)
        VALUES (@Username, @NormalizedUsername, @PasswordHash, 'UNLOCKED', 0, @CreatedAt)
        """;

    /// <summary>
    /// Records an event once: a redelivered event id inserts nothing.
    /// (PostgreSQL's ON CONFLICT; Oracle: MERGE … WHEN NOT MATCHED THEN INSERT.)
    /// </summary>
    public const string InsertLockoutEvent = """
        INSERT INTO LOCKOUT_EVENTS
               (EVENT_ID, USERNAME, EVENT_TYPE, ATTEMPTS, EVENT_VERSION, OCCURRED_AT, LOCKED_UNTIL, RECORDED_AT, TRACE_ID)
        VALUES (@EventId, @Username, @EventType, @Attempts, @EventVersion, @OccurredAt, @LockedUntil, CURRENT_TIMESTAMP, @TraceId)
        ON CONFLICT (EVENT_ID) DO NOTHING
        """;

    /// <summary>
    /// Applies a decision to the user's row unless a newer one is already there, so replays and
    /// reordering can never undo a later lock or unlock.
    /// </summary>
    public const string ApplyLockStatus = """
        UPDATE USERS
           SET LOCK_STATUS  = @LockStatus,
               LOCKED_AT    = @LockedAt,
               LOCKED_UNTIL = @LockedUntil,
               LOCK_VERSION = @EventVersion
         WHERE NORMALIZED_USERNAME = @Username
           AND LOCK_VERSION < @EventVersion
        """;

    public const string ListLockoutEvents = """
        SELECT EVENT_ID    AS EventId,
               EVENT_TYPE  AS EventType,
               OCCURRED_AT AS OccurredAt,
               RECORDED_AT AS RecordedAt,
               ATTEMPTS    AS Attempts,
               LOCKED_UNTIL AS LockedUntil,
               TRACE_ID    AS TraceId
          FROM LOCKOUT_EVENTS
         WHERE USERNAME = @NormalizedUsername
         ORDER BY OCCURRED_AT, EVENT_VERSION
        """;
}

namespace Lockout.Benchmarks.Baseline;

/// <summary>
/// The baseline's table and statements: the columns ASP.NET Core Identity's lockout uses on AspNetUsers
/// (AccessFailedCount, LockoutEnd), in Lockout's naming style, in a database of its own on the same server.
/// </summary>
internal static class BaselineSql
{
    public const string DatabaseName = "baselinedb";

    public const string CreateTable = """
        CREATE TABLE IF NOT EXISTS BASELINE_USERS (
            USER_ID             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            NORMALIZED_USERNAME VARCHAR(256) NOT NULL UNIQUE,
            PASSWORD_HASH       VARCHAR(512) NOT NULL,
            ACCESS_FAILED_COUNT INTEGER      DEFAULT 0 NOT NULL,
            LOCKOUT_END         TIMESTAMP WITH TIME ZONE,
            -- Not in Identity: when the lock was committed, so the benchmark can time the locks.
            LOCKED_AT           TIMESTAMP WITH TIME ZONE
        )
        """;

    public const string CopyUsers = "COPY BASELINE_USERS (NORMALIZED_USERNAME, PASSWORD_HASH) FROM STDIN (FORMAT BINARY)";

    /// <summary>Identity's FindByNameAsync: the row, with the lockout columns.</summary>
    public const string FindUser = """
        SELECT USER_ID, PASSWORD_HASH, ACCESS_FAILED_COUNT, LOCKOUT_END
          FROM BASELINE_USERS
         WHERE NORMALIZED_USERNAME = @NormalizedUsername
        """;

    /// <summary>
    /// Identity's AccessFailedAsync, made atomic: the increment cannot be lost to a racing request (Identity's own
    /// read-modify-write with a concurrency stamp fails the losers' updates instead), and the failure that reaches
    /// the limit sets LockoutEnd. Every wrong password verified adds exactly one, so the count is also the number
    /// of wrong-password verifications.
    /// </summary>
    public const string RecordFailure = """
        UPDATE BASELINE_USERS
           SET ACCESS_FAILED_COUNT = ACCESS_FAILED_COUNT + 1,
               LOCKOUT_END = CASE WHEN ACCESS_FAILED_COUNT + 1 = @MaxFailedAttempts THEN @LockoutEnd ELSE LOCKOUT_END END,
               LOCKED_AT   = CASE WHEN ACCESS_FAILED_COUNT + 1 = @MaxFailedAttempts THEN CURRENT_TIMESTAMP ELSE LOCKED_AT END
         WHERE USER_ID = @UserId
        RETURNING ACCESS_FAILED_COUNT
        """;

    /// <summary>Identity's ResetAccessFailedCountAsync, which writes only when there is something to reset.</summary>
    public const string ResetFailures = "UPDATE BASELINE_USERS SET ACCESS_FAILED_COUNT = 0 WHERE USER_ID = @UserId";

    /// <summary>
    /// The wrong passwords answered 401: every failure counted below the limit (the one that reaches it, and any that
    /// raced past it, answer 423).
    /// </summary>
    public const string CountUnauthorizedAnswers = """
        SELECT COALESCE(SUM(LEAST(ACCESS_FAILED_COUNT, @MaxFailedAttempts - 1)), 0)::BIGINT
          FROM BASELINE_USERS
         WHERE NORMALIZED_USERNAME LIKE @Prefix
        """;

    /// <summary>What a run did to its accounts: locks, wrong-password verifications, peak lock rate.</summary>
    public const string AuditAccounts = """
        SELECT COUNT(*) FILTER (WHERE LOCKOUT_END IS NOT NULL),
               COALESCE(SUM(ACCESS_FAILED_COUNT), 0),
               COALESCE(MAX(ACCESS_FAILED_COUNT), 0),
               MAX(LOCKED_AT),
               (SELECT COALESCE(MAX(n), 0) FROM (
                    SELECT COUNT(*) AS n FROM BASELINE_USERS
                     WHERE NORMALIZED_USERNAME LIKE @Prefix AND LOCKED_AT IS NOT NULL
                     GROUP BY date_trunc('second', LOCKED_AT)) AS per_second)
          FROM BASELINE_USERS
         WHERE NORMALIZED_USERNAME LIKE @Prefix
        """;
}

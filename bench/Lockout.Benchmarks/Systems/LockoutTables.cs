using Npgsql;
using NpgsqlTypes;

namespace Lockout.Benchmarks.Systems;

/// <summary>
/// Lockout's tables as the benchmark seeds and audits them: <c>USERS</c> and <c>LOCKOUT_EVENTS</c>
/// (src/Lockout.Database/Migrations). Account prefixes are LIKE patterns of normalized usernames.
/// </summary>
internal sealed class LockoutTables(NpgsqlDataSource database)
{
    /// <summary>Creates the accounts as the admin API's InsertUser would, all at once with COPY.</summary>
    public async Task SeedUsersAsync(AccountSet accounts, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var import = await connection.BeginBinaryImportAsync(
            "COPY USERS (USERNAME, NORMALIZED_USERNAME, PASSWORD_HASH, LOCK_STATUS, LOCK_VERSION, CREATED_AT) FROM STDIN (FORMAT BINARY)",
            cancellationToken);
        var now = DateTime.UtcNow;
        for (var i = 0; i < accounts.Count; i++)
        {
            await import.StartRowAsync(cancellationToken);
            await import.WriteAsync(accounts.Username(i), NpgsqlDbType.Varchar, cancellationToken);
            await import.WriteAsync(accounts.NormalizedUsername(i), NpgsqlDbType.Varchar, cancellationToken);
            await import.WriteAsync(accounts.Passwords.CorrectHash, NpgsqlDbType.Varchar, cancellationToken);
            await import.WriteAsync("UNLOCKED", NpgsqlDbType.Varchar, cancellationToken);
            await import.WriteAsync(0L, NpgsqlDbType.Bigint, cancellationToken);
            await import.WriteAsync(now, NpgsqlDbType.TimestampTz, cancellationToken);
        }

        await import.CompleteAsync(cancellationToken);
    }

    public async Task<long> CountLockEventsAsync(string prefix, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("SELECT COUNT(*) FROM LOCKOUT_EVENTS WHERE EVENT_TYPE = 'LOCKED' AND USERNAME LIKE @Prefix");
        command.Parameters.AddWithValue("Prefix", prefix);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<LockEvents> ReadLockEventsAsync(string prefix, CancellationToken cancellationToken)
    {
        // RECORDED_AT is the writer transaction's CURRENT_TIMESTAMP (its start): the commit follows within the batch's
        // few milliseconds. OCCURRED_AT is the decision in Redis.
        await using var command = database.CreateCommand("""
            SELECT COUNT(*),
                   COUNT(DISTINCT USERNAME),
                   MAX(RECORDED_AT),
                   MIN(RECORDED_AT),
                   percentile_cont(0.5)  WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM RECORDED_AT - OCCURRED_AT)) * 1000,
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM RECORDED_AT - OCCURRED_AT)) * 1000,
                   (SELECT COALESCE(MAX(n), 0) FROM (
                        SELECT COUNT(*) AS n FROM LOCKOUT_EVENTS
                         WHERE EVENT_TYPE = 'LOCKED' AND USERNAME LIKE @Prefix
                         GROUP BY date_trunc('second', RECORDED_AT)) AS per_second)
              FROM LOCKOUT_EVENTS
             WHERE EVENT_TYPE = 'LOCKED' AND USERNAME LIKE @Prefix
            """);
        command.Parameters.AddWithValue("Prefix", prefix);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new LockEvents(
            reader.GetInt64(0),
            reader.GetInt64(1),
            reader.IsDBNull(2) ? null : reader.GetDateTime(2),
            reader.IsDBNull(3) ? null : reader.GetDateTime(3),
            reader.IsDBNull(4) ? null : reader.GetDouble(4),
            reader.IsDBNull(5) ? null : reader.GetDouble(5),
            reader.GetInt64(6));
    }

    /// <summary>
    /// Smart mode's and the source throttle's decisions: SOURCE_BLOCKED events on the accounts (a source refused for one
    /// account), and the distinct sources among <paramref name="sources"/> with a SOURCE_THROTTLED event.
    /// </summary>
    public async Task<SourceDecisions> CountSourceDecisionsAsync(string prefix, IReadOnlyList<string> sources, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("""
            SELECT (SELECT COUNT(*) FROM LOCKOUT_EVENTS WHERE EVENT_TYPE = 'SOURCE_BLOCKED' AND USERNAME LIKE @Prefix),
                   (SELECT COUNT(DISTINCT SOURCE_ADDRESS) FROM LOCKOUT_EVENTS WHERE EVENT_TYPE = 'SOURCE_THROTTLED' AND SOURCE_ADDRESS = ANY(@Sources))
            """);
        command.Parameters.AddWithValue("Prefix", prefix);
        command.Parameters.AddWithValue("Sources", sources.ToArray());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new SourceDecisions(reader.GetInt64(0), reader.GetInt64(1));
    }

    public async Task<long> CountLockedUsersAsync(string prefix, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("SELECT COUNT(*) FROM USERS WHERE NORMALIZED_USERNAME LIKE @Prefix AND LOCK_STATUS = 'LOCKED'");
        command.Parameters.AddWithValue("Prefix", prefix);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}

/// <param name="Blocks">SOURCE_BLOCKED events: a source refused for one account (Smart mode).</param>
/// <param name="ThrottledSources">Sources throttled across accounts (SOURCE_THROTTLED).</param>
internal readonly record struct SourceDecisions(long Blocks, long ThrottledSources);

/// <summary>The LOCKED events of a set of accounts.</summary>
/// <param name="Accounts">Distinct accounts with a LOCKED event.</param>
/// <param name="PeakPerSecond">Most events recorded within one second.</param>
internal sealed record LockEvents(long Count, long Accounts, DateTime? LastRecordedAt, DateTime? FirstRecordedAt, double? LatencyP50Ms, double? LatencyP99Ms, long PeakPerSecond);

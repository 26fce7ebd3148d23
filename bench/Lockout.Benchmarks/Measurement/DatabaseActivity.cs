using Npgsql;

namespace Lockout.Benchmarks.Measurement;

/// <summary>
/// Transactions and row writes per database, from <c>pg_stat_database</c>. PostgreSQL publishes a backend's counts
/// at most once a second, so a snapshot is only complete a second or so after the activity.
/// </summary>
internal sealed class DatabaseActivity(NpgsqlDataSource dataSource)
{
    /// <summary>Long enough for idle backends to have published their counts.</summary>
    public static readonly TimeSpan PublishDelay = TimeSpan.FromMilliseconds(1500);

    public async Task<IReadOnlyDictionary<string, DatabaseCounters>> SnapshotAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT datname, xact_commit + xact_rollback, tup_inserted + tup_updated + tup_deleted
              FROM pg_stat_database
             WHERE datname IS NOT NULL
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var counters = new Dictionary<string, DatabaseCounters>();
        while (await reader.ReadAsync(cancellationToken))
        {
            counters[reader.GetString(0)] = new DatabaseCounters(reader.GetInt64(1), reader.GetInt64(2));
        }

        return counters;
    }
}

internal readonly record struct DatabaseCounters(long Transactions, long RowWrites)
{
    public static DatabaseCounters operator -(DatabaseCounters after, DatabaseCounters before) =>
        new(after.Transactions - before.Transactions, after.RowWrites - before.RowWrites);
}

using Lockout.Database;
using Lockout.Events;
using Npgsql;
using NpgsqlTypes;

namespace Lockout.Writer.Services;

/// <summary>
/// Applies a batch of lock events in one database transaction: an audit row per event (once per event id)
/// and, for the decisions that change it, each user's lock status (only when the event is newer than the row's).
/// </summary>
/// <remarks>
/// Two set-based statements per batch, whatever its size, sent in one round trip: the database does a few
/// index look-ups per event instead of parsing and planning two statements per event.
/// </remarks>
public sealed class LockoutEventWriter(NpgsqlDataSource dataSource)
{
    /// <summary>Writes the batch and commits; returns, per event, whether it was new (false: already recorded).</summary>
    public async Task<bool[]> ApplyAsync(IReadOnlyList<ConsumedLockoutEvent> events, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands = { InsertEvents(events), ApplyLatestStatuses(events) },
        };

        var insertedIds = new HashSet<string>(StringComparer.Ordinal);
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                insertedIds.Add(reader.GetString(0));
            }
        }

        await transaction.CommitAsync(cancellationToken);

        // An id inserted once counts as new once, even if the batch carried it twice.
        var inserted = new bool[events.Count];
        for (var i = 0; i < events.Count; i++)
        {
            inserted[i] = insertedIds.Remove(events[i].Event.EventId.ToString());
        }

        return inserted;
    }

    private static NpgsqlBatchCommand InsertEvents(IReadOnlyList<ConsumedLockoutEvent> events) => new(LockoutSql.InsertLockoutEvents)
    {
        Parameters =
        {
            Array("EventIds", events.Select(e => e.Event.EventId.ToString()), NpgsqlDbType.Text),
            Array("Usernames", events.Select(e => e.Event.Username), NpgsqlDbType.Text),
            Array("EventTypes", events.Select(e => e.Event.Type.Name()), NpgsqlDbType.Text),
            Array("Attempts", events.Select(e => e.Event.Attempts), NpgsqlDbType.Integer),
            Array("EventVersions", events.Select(e => e.Event.Version), NpgsqlDbType.Bigint),
            Array("OccurredAts", events.Select(e => e.Event.OccurredAt.UtcDateTime), NpgsqlDbType.TimestampTz),
            Array("LockedUntils", events.Select(e => e.Event.LockedUntil?.UtcDateTime), NpgsqlDbType.TimestampTz),
            Array("TraceIds", events.Select(e => e.TraceId), NpgsqlDbType.Text),
            Array("Sources", events.Select(e => e.Event.Source), NpgsqlDbType.Text),
            Array("Levels", events.Select(e => e.Event.Level), NpgsqlDbType.Integer),
            Array("Operators", events.Select(e => e.Event.Operator), NpgsqlDbType.Text),
        },
    };

    private static NpgsqlBatchCommand ApplyLatestStatuses(IReadOnlyList<ConsumedLockoutEvent> events)
    {
        var latest = events
            .Select(e => e.Event)
            .Where(e => e.ChangesLockStatus)
            .GroupBy(e => e.Username!, StringComparer.Ordinal)
            .Select(decisions => decisions.MaxBy(e => e.Version)!)
            .ToList();

        return new NpgsqlBatchCommand(LockoutSql.ApplyLockStatuses)
        {
            Parameters =
            {
                Array("Usernames", latest.Select(e => e.Username), NpgsqlDbType.Text),
                Array("LockStatuses", latest.Select(e => e.Type == LockoutEventType.Locked ? LockStatus.Locked : LockStatus.Unlocked), NpgsqlDbType.Text),
                Array("LockedAts", latest.Select(e => e.Type == LockoutEventType.Locked ? e.OccurredAt.UtcDateTime : (DateTime?)null), NpgsqlDbType.TimestampTz),
                Array("LockedUntils", latest.Select(e => e.Type == LockoutEventType.Locked ? e.LockedUntil?.UtcDateTime : null), NpgsqlDbType.TimestampTz),
                Array("EventVersions", latest.Select(e => e.Version), NpgsqlDbType.Bigint),
            },
        };
    }

    private static NpgsqlParameter Array<T>(string name, IEnumerable<T> values, NpgsqlDbType elementType) =>
        new(name, NpgsqlDbType.Array | elementType) { Value = values.ToArray() };

}

/// <summary>An event read from Kafka, with the trace id of the request that caused it.</summary>
public sealed record ConsumedLockoutEvent(LockoutEvent Event, string? TraceId);

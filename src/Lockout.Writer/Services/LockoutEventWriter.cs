using Lockout.Database;
using Lockout.Events;
using Npgsql;

namespace Lockout.Writer.Services;

/// <summary>
/// Applies a batch of lock events in one database transaction: an audit row per event (once per event id)
/// and the user's lock status (only when the event is newer than the row's).
/// </summary>
/// <remarks>
/// The statements are the single-row ones from <see cref="LockoutSql"/>, sent together in one round trip as an
/// <see cref="NpgsqlBatch"/> (what Oracle's array binding would do).
/// </remarks>
public sealed class LockoutEventWriter(NpgsqlDataSource dataSource)
{
    /// <summary>Writes the batch and commits; returns, per event, whether it was new (false: already recorded).</summary>
    public async Task<bool[]> ApplyAsync(IReadOnlyList<ConsumedLockoutEvent> events, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection, transaction);

        foreach (var consumed in events)
        {
            batch.BatchCommands.Add(InsertEvent(consumed));
            batch.BatchCommands.Add(ApplyStatus(consumed.Event));
        }

        await batch.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        var inserted = new bool[events.Count];
        for (var i = 0; i < events.Count; i++)
        {
            inserted[i] = batch.BatchCommands[2 * i].RecordsAffected == 1;
        }

        return inserted;
    }

    private static NpgsqlBatchCommand InsertEvent(ConsumedLockoutEvent consumed)
    {
        var lockoutEvent = consumed.Event;
        var command = new NpgsqlBatchCommand(LockoutSql.InsertLockoutEvent);
        command.Parameters.AddWithValue("EventId", lockoutEvent.EventId.ToString());
        command.Parameters.AddWithValue("Username", lockoutEvent.Username);
        command.Parameters.AddWithValue("EventType", StatusOf(lockoutEvent.Type));
        command.Parameters.AddWithValue("Attempts", lockoutEvent.Attempts);
        command.Parameters.AddWithValue("EventVersion", lockoutEvent.Version);
        command.Parameters.AddWithValue("OccurredAt", lockoutEvent.OccurredAt.UtcDateTime);
        command.Parameters.AddWithValue("LockedUntil", (object?)lockoutEvent.LockedUntil?.UtcDateTime ?? DBNull.Value);
        command.Parameters.AddWithValue("TraceId", (object?)consumed.TraceId ?? DBNull.Value);
        return command;
    }

    private static NpgsqlBatchCommand ApplyStatus(LockoutEvent lockoutEvent)
    {
        var locked = lockoutEvent.Type == LockoutEventType.Locked;
        var command = new NpgsqlBatchCommand(LockoutSql.ApplyLockStatus);
        command.Parameters.AddWithValue("LockStatus", StatusOf(lockoutEvent.Type));
        command.Parameters.AddWithValue("LockedAt", locked ? lockoutEvent.OccurredAt.UtcDateTime : DBNull.Value);
        command.Parameters.AddWithValue("LockedUntil", locked && lockoutEvent.LockedUntil is { } until ? until.UtcDateTime : DBNull.Value);
        command.Parameters.AddWithValue("EventVersion", lockoutEvent.Version);
        command.Parameters.AddWithValue("Username", lockoutEvent.Username);
        return command;
    }

    private static string StatusOf(LockoutEventType type) => type == LockoutEventType.Locked ? LockStatus.Locked : LockStatus.Unlocked;
}

/// <summary>An event read from Kafka, with the trace id of the request that caused it.</summary>
public sealed record ConsumedLockoutEvent(LockoutEvent Event, string? TraceId);

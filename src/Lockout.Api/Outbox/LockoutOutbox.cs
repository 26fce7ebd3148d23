using System.Diagnostics.CodeAnalysis;
using Lockout.Events;
using StackExchange.Redis;

namespace Lockout.Api.Outbox;

/// <summary>
/// Lock events waiting to reach Kafka: a Redis stream appended to by the guess-budget scripts in the same
/// atomic step that decides a lock, and drained by <see cref="OutboxRelay"/> through a consumer group.
/// </summary>
/// <remarks>
/// An entry leaves the stream only after Kafka acknowledged it. A relay that dies keeps its entries
/// pending in the group; another relay claims them once they have been idle for a while.
/// </remarks>
public sealed class LockoutOutbox(IConnectionMultiplexer redis)
{
    public const string StreamKey = "lockout:outbox";
    public const string RelayGroup = "outbox-relay";

    private IDatabase Database => redis.GetDatabase();

    public async Task EnsureRelayGroupAsync()
    {
        try
        {
            // "0": a group created after entries were appended must still relay them.
            await Database.StreamCreateConsumerGroupAsync(StreamKey, RelayGroup, StreamPosition.Beginning, createStream: true);
        }
        catch (RedisServerException exception) when (exception.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
        }
    }

    /// <summary>Entries no relay has read yet.</summary>
    public Task<StreamEntry[]> ReadNewAsync(string consumer, int count) =>
        Database.StreamReadGroupAsync(StreamKey, RelayGroup, consumer, StreamPosition.NewMessages, count);

    /// <summary>Entries this consumer read (or claimed) but has not acknowledged.</summary>
    public Task<StreamEntry[]> ReadPendingAsync(string consumer, int count) =>
        Database.StreamReadGroupAsync(StreamKey, RelayGroup, consumer, StreamPosition.Beginning, count);

    /// <summary>Takes over entries another relay read and left unacknowledged for <paramref name="minIdle"/>.</summary>
    public async Task<int> ClaimAbandonedAsync(string consumer, TimeSpan minIdle, int count)
    {
        var result = await Database.StreamAutoClaimIdsOnlyAsync(StreamKey, RelayGroup, consumer, (long)minIdle.TotalMilliseconds, "0-0", count);
        return result.ClaimedIds.Length;
    }

    /// <summary>Removes entries Kafka has acknowledged.</summary>
    public async Task AcknowledgeAsync(RedisValue[] ids)
    {
        if (ids.Length == 0)
        {
            return;
        }

        var transaction = Database.CreateTransaction();
        _ = transaction.StreamAcknowledgeAsync(StreamKey, RelayGroup, ids);
        _ = transaction.StreamDeleteAsync(StreamKey, ids);
        await transaction.ExecuteAsync();
    }

    /// <summary>Entries not yet acknowledged by Kafka.</summary>
    public Task<long> DepthAsync() => Database.StreamLengthAsync(StreamKey);

    /// <summary>Reads an entry written by the Lua scripts.</summary>
    public static bool TryParse(StreamEntry entry, [NotNullWhen(true)] out OutboxMessage? message)
    {
        message = null;
        var values = entry.Values.ToDictionary(value => value.Name.ToString(), value => value.Value);
        if (!Guid.TryParse(Get("eventId"), out var eventId)
            || Get("username") is not { Length: > 0 } username
            || !long.TryParse(Get("occurredAt"), out var occurredAt)
            || !int.TryParse(Get("attempts"), out var attempts)
            || !long.TryParse(Get("version"), out var version)
            || !long.TryParse(Get("lockedUntil"), out var lockedUntil))
        {
            return false;
        }

        LockoutEventType? type = Get("type") switch
        {
            "LOCKED" => LockoutEventType.Locked,
            "UNLOCKED" => LockoutEventType.Unlocked,
            _ => null,
        };
        if (type is null)
        {
            return false;
        }

        var lockoutEvent = new LockoutEvent(
            eventId,
            type.Value,
            username,
            DateTimeOffset.FromUnixTimeMilliseconds(occurredAt),
            attempts,
            version,
            lockedUntil > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(lockedUntil) : null);
        message = new OutboxMessage(entry.Id, lockoutEvent, Get("traceparent") is { Length: > 0 } traceParent ? traceParent : null);
        return true;

        string? Get(string name) => values.TryGetValue(name, out var value) ? value.ToString() : null;
    }
}

/// <summary>An outbox entry: the event and the W3C context of the request that decided it.</summary>
public sealed record OutboxMessage(RedisValue EntryId, LockoutEvent Event, string? TraceParent);

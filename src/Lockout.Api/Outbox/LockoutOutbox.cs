using System.Diagnostics.CodeAnalysis;
using Lockout.Api.Redis;
using Lockout.Api.Services;
using Lockout.Events;
using StackExchange.Redis;

namespace Lockout.Api.Outbox;

/// <summary>
/// Lock events waiting to reach Kafka: one Redis stream per bucket, appended to by the guess-budget scripts in the
/// same atomic step that decides a lock, and drained by <see cref="OutboxRelay"/>.
/// </summary>
/// <remarks>
/// An entry leaves its stream only once Kafka acknowledged it, or once it is parked because Kafka refuses it for good.
/// One relay at a time drains a bucket (see <see cref="RelayMembership"/>), so a stream is read from its start.
/// </remarks>
public sealed class LockoutOutbox(OutboxConnection connection, LockoutKeyspace keyspace)
{
    /// <summary>Parked entries kept per bucket; the oldest go first beyond it.</summary>
    public const int ParkedEntriesPerBucket = 10_000;

    public int Buckets => keyspace.Buckets;

    /// <summary>The oldest entries of a bucket's stream.</summary>
    public async Task<StreamEntry[]> ReadAsync(int bucket, int count) =>
        await (await DatabaseAsync()).StreamRangeAsync(LockoutKeyspace.Outbox(bucket), "-", "+", count);

    /// <summary>Removes entries Kafka has acknowledged.</summary>
    public async Task RemoveAsync(int bucket, RedisValue[] ids)
    {
        if (ids.Length > 0)
        {
            await (await DatabaseAsync()).StreamDeleteAsync(LockoutKeyspace.Outbox(bucket), ids);
        }
    }

    /// <summary>Moves an entry Kafka will never take to the bucket's parked stream, with the reason.</summary>
    public async Task ParkAsync(int bucket, StreamEntry entry, string reason)
    {
        var fields = entry.Values
            .Append(new NameValueEntry("parkedReason", reason))
            .Append(new NameValueEntry("outboxEntryId", entry.Id))
            .ToArray();
        var transaction = (await DatabaseAsync()).CreateTransaction();
        _ = transaction.StreamAddAsync(LockoutKeyspace.ParkedOutbox(bucket), fields, maxLength: ParkedEntriesPerBucket, useApproximateMaxLength: true);
        _ = transaction.StreamDeleteAsync(LockoutKeyspace.Outbox(bucket), [entry.Id]);
        await transaction.ExecuteAsync();
    }

    /// <summary>Events waiting in every bucket.</summary>
    public async Task<long> DepthAsync()
    {
        var database = await DatabaseAsync();
        var lengths = await Task.WhenAll(keyspace.AllBuckets.Select(bucket => database.StreamLengthAsync(LockoutKeyspace.Outbox(bucket))));
        return lengths.Sum();
    }

    /// <summary>Lengths of the given buckets' streams, fetched together.</summary>
    public async Task<long[]> LengthsAsync(IReadOnlyList<int> buckets)
    {
        var database = await DatabaseAsync();
        return await Task.WhenAll(buckets.Select(bucket => database.StreamLengthAsync(LockoutKeyspace.Outbox(bucket))));
    }

    /// <summary>Says this relay is alive for <paramref name="ttl"/>; returns every relay alive, this one included.</summary>
    /// <remarks>
    /// On Redis's clock, so that relays whose clocks disagree agree on who is alive. A transaction rather than a script:
    /// the relay's Redis user may not run scripts. The time is read just before it, a round trip's age at most.
    /// </remarks>
    public async Task<string[]> HeartbeatAsync(string instance, TimeSpan ttl)
    {
        var database = await DatabaseAsync();
        var time = (RedisValue[])(await database.ExecuteAsync("TIME"))!;
        var now = (long)time[0] * 1000 + (long)time[1] / 1000;
        var transaction = database.CreateTransaction();
        _ = transaction.SortedSetRemoveRangeByScoreAsync(LockoutKeyspace.RelaysKey, double.NegativeInfinity, now);
        _ = transaction.SortedSetAddAsync(LockoutKeyspace.RelaysKey, instance, now + ttl.TotalMilliseconds);
        _ = transaction.KeyExpireAsync(LockoutKeyspace.RelaysKey, ttl);
        var alive = transaction.SortedSetRangeByRankAsync(LockoutKeyspace.RelaysKey);
        await transaction.ExecuteAsync();
        return (await alive).Select(value => value.ToString()).ToArray();
    }

    /// <summary>Calls <paramref name="wake"/> with a bucket each time a script appends to its outbox.</summary>
    public async Task SubscribeAsync(Action<int> wake)
    {
        var subscriber = (await connection.GetAsync()).GetSubscriber();
        await subscriber.SubscribeAsync(LockoutKeyspace.WakeChannel, (_, message) =>
        {
            if (message.TryParse(out int bucket))
            {
                wake(bucket);
            }
        });
    }

    private async Task<IDatabase> DatabaseAsync() => (await connection.GetAsync()).GetDatabase();

    /// <summary>Reads an entry written by the Lua scripts; false when it is not a lock event.</summary>
    public static bool TryParse(StreamEntry entry, [NotNullWhen(true)] out OutboxMessage? message)
    {
        message = null;
        var values = entry.Values.ToDictionary(value => value.Name.ToString(), value => value.Value);
        if (!Guid.TryParse(Get("eventId"), out var eventId)
            || LockoutEventTypes.Parse(Get("type")) is not { } type
            || !long.TryParse(Get("occurredAt"), out var occurredAt)
            || !int.TryParse(Get("attempts"), out var attempts)
            || !long.TryParse(Get("version"), out var version)
            || !long.TryParse(Get("lockedUntil"), out var lockedUntil)
            || (Get("username") is not { Length: > 0 } && Get("source") is not { Length: > 0 }))
        {
            return false;
        }

        var lockoutEvent = new LockoutEvent(
            eventId,
            type,
            NullIfEmpty(Get("username")),
            DateTimeOffset.FromUnixTimeMilliseconds(occurredAt),
            attempts,
            version,
            lockedUntil > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(lockedUntil) : null,
            NullIfEmpty(Get("source")),
            int.TryParse(Get("level"), out var level) && level > 0 ? level : null,
            NullIfEmpty(Get("operator")));
        message = new OutboxMessage(entry.Id, lockoutEvent, NullIfEmpty(Get("traceparent")));
        return true;

        string? Get(string name) => values.TryGetValue(name, out var value) ? value.ToString() : null;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}

/// <summary>An outbox entry: the event and the W3C context of the request that decided it.</summary>
public sealed record OutboxMessage(RedisValue EntryId, LockoutEvent Event, string? TraceParent);

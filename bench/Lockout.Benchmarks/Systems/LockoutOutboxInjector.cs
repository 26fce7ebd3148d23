using System.Globalization;
using Lockout.Api.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Lockout.Benchmarks.Systems;

/// <summary>
/// Appends LOCKED events straight to Lockout's Redis outbox, in each account's bucket and the format record_failure.lua writes
/// (src/Lockout.Api/Services/Scripts): a burst of decided locks for the relay and the writer to drain, faster than
/// the API could decide them on two cores.
/// </summary>
internal static class LockoutOutboxInjector
{
    private const int PipelineDepth = 5000;

    private static readonly LockoutKeyspace Keyspace = new(Options.Create(new LockoutRedisOptions()));

    /// <summary>Waits until the relay has moved every entry to Kafka (it deletes an entry once Kafka acknowledged it).</summary>
    public static async Task WaitUntilRelayedAsync(string redisConnectionString, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(redisConnectionString);
        var database = redis.GetDatabase();
        var deadline = DateTime.UtcNow + timeout;
        while ((await Task.WhenAll(Keyspace.AllBuckets.Select(bucket => database.StreamLengthAsync(LockoutKeyspace.Outbox(bucket))))).Sum() > 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The relay left entries in the outbox for {timeout.TotalSeconds:0} s.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken);
        }
    }

    /// <returns>When the last event was appended.</returns>
    public static async Task<DateTime> AppendLocksAsync(string redisConnectionString, AccountSet accounts, CancellationToken cancellationToken)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(redisConnectionString);
        var database = redis.GetDatabase();
        for (var start = 0; start < accounts.Count; start += PipelineDepth)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
            var batch = database.CreateBatch();
            var appends = Enumerable.Range(start, Math.Min(PipelineDepth, accounts.Count - start))
                .Select(i => batch.StreamAddAsync(Keyspace.Account(accounts.NormalizedUsername(i)).Outbox,
                [
                    new("eventId", Guid.CreateVersion7().ToString()),
                    new("type", "LOCKED"),
                    new("username", accounts.NormalizedUsername(i)),
                    new("occurredAt", now),
                    new("attempts", "5"),
                    new("version", now),
                    new("lockedUntil", "0"),
                    new("traceparent", ""),
                ]))
                .ToList();
            batch.Execute();
            await Task.WhenAll(appends);
            // As the scripts do after appending: wake the relays.
            await Task.WhenAll(Keyspace.AllBuckets.Select(bucket => database.PublishAsync(LockoutKeyspace.WakeChannel, bucket)));
        }

        return DateTime.UtcNow;
    }
}

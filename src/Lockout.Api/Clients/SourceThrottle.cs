using Lockout.Api.Redis;
using Lockout.Api.Services;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Lockout.Api.Clients;

/// <summary>
/// Each source's wrong passwords across all accounts, in a sliding window, with the same exactness as an account's
/// budget: a verification is reserved before it happens, so however many of a source's requests race, it verifies at
/// most <see cref="SourceThrottleOptions.MaxFailures"/> wrong passwords per window. Past that it is throttled (429).
/// Only verifications reserve: a request the account refuses anyway takes no slot of its source's.
/// </summary>
public sealed class SourceThrottle(
    RedisScripts scripts,
    LockoutKeyspace keyspace,
    IOptions<ClientOptions> clients,
    IOptions<LockoutPolicy> policy,
    IOptions<LockoutRedisOptions> redisOptions,
    RedisClock clock)
{
    private static readonly NamedScript ReserveScript = LuaScripts.Load("source_reserve");
    private static readonly NamedScript SettleScript = LuaScripts.Load("source_settle");
    private static readonly NamedScript LiftScript = LuaScripts.Load("source_lift");
    private static readonly NamedScript ReadScript = LuaScripts.Load("source_read");

    private readonly SourceThrottleOptions _options = clients.Value.Throttle;

    public int MaxFailures => _options.MaxFailures;
    private readonly long _leaseMilliseconds = (long)policy.Value.ReservationLease.TotalMilliseconds;
    private readonly int _capacityPerBucket = redisOptions.Value.OutboxCapacityPerBucket;
    private IDatabase Database => scripts.Database;

    /// <summary>
    /// Reserves a slot of the source's budget for a verification about to happen, or refuses: the source is throttled,
    /// or as many of its verifications are in flight as it has failures left.
    /// </summary>
    /// <exception cref="OutboxFullException">This verification could throttle the source, and the outbox is full.</exception>
    public async Task<SourceReservation> ReserveAsync(string source)
    {
        var keys = keyspace.Source(source);
        var leaseId = Guid.NewGuid().ToString("N");
        var result = (RedisValue[]?)await scripts.RunAsync(
            ReserveScript,
            [keys.Failures, keys.Leases, keys.Outbox],
            [clock.Shift(), _options.MaxFailures, Milliseconds(_options.Window), _leaseMilliseconds, leaseId, _capacityPerBucket]);

        return (int)result![0] switch
        {
            0 => new SourceReservation(source, leaseId, Throttled: false, RetryAfter: null, (int)result[2]),
            1 => new SourceReservation(source, leaseId, Throttled: true, TimeSpan.FromMilliseconds((long)result[1]), (int)result[2]),
            _ => throw new OutboxFullException(),
        };
    }

    /// <summary>Counts the verification: a wrong password against the source; returns whether this one throttled it.</summary>
    public async Task<bool> SettleAsync(SourceReservation reservation, bool failed, string? traceParent)
    {
        var keys = keyspace.Source(reservation.Source);
        if (!failed)
        {
            // A right password counts nothing against its source: the lease is all there is to give back (what the
            // settle script would do), sent without waiting for the answer. If it is lost, the lease runs out by itself.
            _ = Database.SortedSetRemoveAsync(keys.Leases, reservation.LeaseId, CommandFlags.FireAndForget);
            return false;
        }

        var result = (RedisValue[]?)await scripts.RunAsync(
            SettleScript,
            [keys.Failures, keys.Leases, keys.Outbox],
            [
                clock.Shift(), _options.MaxFailures, Milliseconds(_options.Window), reservation.LeaseId,
                Guid.CreateVersion7().ToString(), reservation.Source, traceParent ?? "", keys.Bucket,
            ]);
        return (int)result![0] == 1;
    }

    /// <summary>Gives a reservation back unused (nothing was verified).</summary>
    public Task ReleaseAsync(SourceReservation reservation) =>
        Database.SortedSetRemoveAsync(keyspace.Source(reservation.Source).Leases, reservation.LeaseId);

    /// <summary>Forgets a source's failures and records THROTTLE_LIFTED.</summary>
    /// <exception cref="OutboxFullException">The outbox is full; nothing was changed.</exception>
    public async Task LiftAsync(string source, string @operator, string? traceParent)
    {
        var keys = keyspace.Source(source);
        var result = (long)await scripts.RunAsync(
            LiftScript,
            [keys.Failures, keys.Outbox],
            [clock.Shift(), Guid.CreateVersion7().ToString(), source, traceParent ?? "", keys.Bucket, _capacityPerBucket, @operator]);
        if (result < 0)
        {
            throw new OutboxFullException();
        }
    }

    /// <summary>Whether the source is throttled now, and its failures in the window; reserves nothing.</summary>
    public async Task<SourceState> ReadAsync(string source)
    {
        var result = (RedisValue[]?)await scripts.RunAsync(
            ReadScript,
            [keyspace.Source(source).Failures],
            [clock.Shift(), _options.MaxFailures, Milliseconds(_options.Window)]);
        return new SourceState(source, (int)result![0], (int)result[1] == 1, (long)result[2] > 0 ? TimeSpan.FromMilliseconds((long)result[2]) : null);
    }

    private static long Milliseconds(TimeSpan span) => (long)span.TotalMilliseconds;
}

/// <summary>A reserved verification for a source, or the refusal (<see cref="Throttled"/>, with when to retry).</summary>
/// <param name="Failures">The source's failures in the window when it was reserved.</param>
public sealed record SourceReservation(string Source, string LeaseId, bool Throttled, TimeSpan? RetryAfter, int Failures);

public sealed record SourceState(string Source, int Failures, bool Throttled, TimeSpan? RetryAfter);


using System.Reflection;
using Lockout.Api.Redis;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using StackExchange.Redis;

namespace Lockout.Api.Services;

/// <summary>
/// The exact guess budget of every account, kept in Redis and changed only by atomic Lua scripts.
/// </summary>
/// <remarks>
/// An attempt is reserved <em>before</em> its password is verified, so however many requests race, at most
/// <see cref="LockoutPolicy.MaxFailedAttempts"/> passwords are verified per window. The seed's order (read,
/// verify, increment) and Identity's <c>AccessFailedAsync</c> let racing requests verify more.
/// The scripts read the time from Redis, so API instances whose clocks disagree still decide on one clock.
/// </remarks>
public sealed class GuessBudget(
    IConnectionMultiplexer redis,
    LockoutKeyspace keyspace,
    IOptions<LockoutPolicy> policy,
    IOptions<LockoutRedisOptions> redisOptions,
    TimeProvider clock)
{
    private static readonly RedisScript ReserveScript = LoadScript("reserve");
    private static readonly RedisScript RecordFailureScript = LoadScript("record_failure");
    private static readonly RedisScript RecordSuccessScript = LoadScript("record_success");
    private static readonly RedisScript ReleaseScript = LoadScript("release");
    private static readonly RedisScript AdoptDatabaseLockScript = LoadScript("adopt_database_lock");
    private static readonly RedisScript ConfirmAppliedScript = LoadScript("confirm_applied");
    private static readonly RedisScript UnlockScript = LoadScript("unlock");
    private static readonly RedisScript ReadStateScript = LoadScript("read_state");

    private readonly LockoutPolicy _policy = policy.Value;

    // Retries a release for as long as the lease it gives back could still be held.
    private readonly ResiliencePipeline _releaseRetry = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<RedisException>().Handle<RedisTimeoutException>(),
            MaxRetryAttempts = Math.Max(1, (int)policy.Value.ReservationLease.TotalSeconds),
            Delay = TimeSpan.FromSeconds(1),
        })
        .Build();
    private readonly LockoutRedisOptions _redis = redisOptions.Value;
    private IDatabase Database => redis.GetDatabase();

    /// <summary>Reserves one verification for the account, unless it is locked or its budget is taken.</summary>
    /// <exception cref="OutboxFullException">This attempt could lock the account, and the outbox is full.</exception>
    public async Task<Reservation> ReserveAsync(string normalizedUsername)
    {
        var keys = keyspace.Account(normalizedUsername);
        var leaseId = Guid.NewGuid().ToString("N");
        RedisValue[]? result;
        try
        {
            result = (RedisValue[]?)await ReserveScript.EvaluateAsync(
                Database,
                [keys.State, keys.Failures, keys.Leases, keys.Outbox],
                [Shift(), _policy.MaxFailedAttempts, Milliseconds(_policy.FailureWindow), Milliseconds(_policy.ReservationLease), leaseId, _redis.OutboxCapacityPerBucket]);
        }
        catch (Exception exception) when (exception is RedisException or RedisTimeoutException)
        {
            // A stalled Redis may still run the reservation once it wakes, and the slot would then be held for a whole
            // lease: give it back once Redis answers again (a release of a lease that was never taken does nothing).
            _ = ReleaseWhenRedisAnswersAsync(keys.Leases, leaseId);
            throw;
        }

        var status = (int)result![0];
        if (status == 3)
        {
            throw new OutboxFullException();
        }

        return new Reservation(normalizedUsername, leaseId, (ReservationStatus)status, (int)result[1], (long)result[2], UntilOrNull((long)result[3]), (long)result[4]);
    }

    /// <summary>
    /// Counts a wrong password; the failure that fills the budget locks the account and queues the LOCKED event.
    /// </summary>
    /// <param name="knownUser">Whether the username exists: a lock on one that does not is forgotten after a retention.</param>
    /// <param name="traceParent">The W3C context of the request, carried with the event to the database row.</param>
    public async Task<FailureOutcome> RecordFailureAsync(Reservation reservation, bool knownUser, string? traceParent)
    {
        var keys = keyspace.Account(reservation.NormalizedUsername);
        var result = (RedisValue[]?)await RecordFailureScript.EvaluateAsync(
            Database,
            [keys.State, keys.Failures, keys.Leases, keys.Outbox],
            [
                Shift(), _policy.MaxFailedAttempts, Milliseconds(_policy.FailureWindow), reservation.LeaseId,
                Guid.CreateVersion7().ToString(), reservation.NormalizedUsername, traceParent ?? "",
                _policy.LockDuration is { } duration ? Milliseconds(duration) : 0,
                keys.Bucket, knownUser ? 1 : 0, Milliseconds(_redis.UnknownUserRetention),
            ]);

        return new FailureOutcome((FailureStatus)(int)result![0], (int)result[1], UntilOrNull((long)result[2]));
    }

    /// <summary>Forgets the failures after a right password; false when the account is locked.</summary>
    public async Task<bool> RecordSuccessAsync(Reservation reservation)
    {
        var keys = keyspace.Account(reservation.NormalizedUsername);
        var result = (RedisValue[]?)await RecordSuccessScript.EvaluateAsync(
            Database,
            [keys.State, keys.Failures, keys.Leases],
            [Shift(), reservation.LeaseId]);

        return (int)result![0] == 0;
    }

    /// <summary>Returns a reservation unused, when the password could not be verified.</summary>
    public Task ReleaseAsync(Reservation reservation) =>
        ReleaseScript.EvaluateAsync(Database, [keyspace.Account(reservation.NormalizedUsername).Leases], [reservation.LeaseId]);

    private async Task ReleaseWhenRedisAnswersAsync(RedisKey leases, string leaseId)
    {
        try
        {
            await _releaseRetry.ExecuteAsync(async _ => await ReleaseScript.EvaluateAsync(Database, [leases], [leaseId]));
        }
        catch (Exception exception) when (exception is RedisException or RedisTimeoutException)
        {
            // Redis stayed away longer than a lease: the lease has run out by itself.
        }
    }

    /// <summary>Remembers a lock found in the database so later attempts are refused from Redis alone.</summary>
    public Task AdoptDatabaseLockAsync(Reservation reservation, DateTimeOffset? lockedUntil, long version)
    {
        var keys = keyspace.Account(reservation.NormalizedUsername);
        return AdoptDatabaseLockScript.EvaluateAsync(
            Database,
            [keys.State, keys.Leases],
            [Shift(), reservation.LeaseId, lockedUntil?.ToUnixTimeMilliseconds() ?? 0, version, Milliseconds(_redis.StateRetention)]);
    }

    /// <summary>
    /// The login has read the account's row: lets Redis forget its pending decision once the row shows it.
    /// </summary>
    /// <param name="rowVersion">The row's <c>LOCK_VERSION</c>; null when there is no such user.</param>
    public Task ConfirmAppliedAsync(string normalizedUsername, long? rowVersion) =>
        ConfirmAppliedScript.EvaluateAsync(
            Database,
            [keyspace.Account(normalizedUsername).State],
            [rowVersion ?? -1, Milliseconds(_redis.StateRetention)]);

    /// <summary>Clears the account's lock and failures and queues the UNLOCKED event; returns its version.</summary>
    /// <exception cref="OutboxFullException">The outbox is full; nothing was changed.</exception>
    public async Task<long> UnlockAsync(string normalizedUsername, string? traceParent)
    {
        var keys = keyspace.Account(normalizedUsername);
        var version = (long)await UnlockScript.EvaluateAsync(
            Database,
            [keys.State, keys.Failures, keys.Outbox],
            [Shift(), Guid.CreateVersion7().ToString(), normalizedUsername, traceParent ?? "", keys.Bucket, _redis.OutboxCapacityPerBucket]);

        return version >= 0 ? version : throw new OutboxFullException();
    }

    /// <summary>What Redis knows of the account.</summary>
    public async Task<BudgetState> ReadAsync(string normalizedUsername)
    {
        var keys = keyspace.Account(normalizedUsername);
        var result = (RedisValue[]?)await ReadStateScript.EvaluateAsync(
            Database,
            [keys.State, keys.Failures],
            [Shift(), Milliseconds(_policy.FailureWindow)]);

        var locked = (int)result![0] == 1;
        return new BudgetState(
            Locked: locked,
            FailedAttempts: (int)result[1],
            LockedAt: locked && (long)result[2] > 0 ? DateTimeOffset.FromUnixTimeMilliseconds((long)result[2]) : null,
            LockedUntil: locked && (long)result[3] > 0 ? DateTimeOffset.FromUnixTimeMilliseconds((long)result[3]) : null,
            Version: (long)result[4],
            PendingVersion: (long)result[5]);
    }

    /// <summary>
    /// What the scripts add to Redis's clock: nothing with the system clock; with another <see cref="TimeProvider"/>
    /// (a test's fake clock) its distance from the system clock, so the scripts see the time it says.
    /// </summary>
    private long Shift() => ReferenceEquals(clock, TimeProvider.System) ? 0 : Milliseconds(clock.GetUtcNow() - TimeProvider.System.GetUtcNow());

    /// <summary>The scripts' "locked until" in milliseconds; 0 means until an admin unlocks.</summary>
    private static DateTimeOffset? UntilOrNull(long milliseconds) => milliseconds > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(milliseconds) : null;

    private static long Milliseconds(TimeSpan span) => (long)span.TotalMilliseconds;

    private static RedisScript LoadScript(string name)
    {
        var assembly = typeof(GuessBudget).Assembly;
        return new RedisScript(ReadResource(assembly, "prelude") + "\n" + ReadResource(assembly, name));

        static string ReadResource(Assembly assembly, string name)
        {
            using var stream = assembly.GetManifestResourceStream($"Lockout.Api.Services.Scripts.{name}.lua")
                ?? throw new InvalidOperationException($"The Lua script '{name}' is not embedded.");
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
    }
}

public enum ReservationStatus
{
    Reserved = 0,
    Locked = 1,
    BudgetExhausted = 2,
}

/// <summary>A reserved attempt (or the reason there is none).</summary>
/// <param name="Version">The account's last decision version known to Redis (0 when it knows none).</param>
/// <param name="LockedUntil">When the account is locked: the end of a timed lock, null otherwise.</param>
/// <param name="PendingVersion">A decision Redis keeps until the database shows it; 0 when there is none.</param>
public sealed record Reservation(
    string NormalizedUsername,
    string LeaseId,
    ReservationStatus Status,
    int Failures,
    long Version,
    DateTimeOffset? LockedUntil = null,
    long PendingVersion = 0);

public enum FailureStatus
{
    Counted = 0,
    LockedNow = 1,
    AlreadyLocked = 2,
}

/// <param name="LockedUntil">When the account is locked: the end of a timed lock, null otherwise.</param>
public readonly record struct FailureOutcome(FailureStatus Status, int Failures, DateTimeOffset? LockedUntil = null);

public sealed record BudgetState(bool Locked, int FailedAttempts, DateTimeOffset? LockedAt, DateTimeOffset? LockedUntil, long Version, long PendingVersion);

/// <summary>
/// The outbox holds its capacity of undelivered lock events (Kafka has been away for long): a decision that would add
/// one is not taken, so nothing is counted and no event is lost. Answered 503.
/// </summary>
public sealed class OutboxFullException() : Exception("The lock-event outbox is full; Kafka has not taken events for a long time.");

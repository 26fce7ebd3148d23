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
/// In <see cref="LockoutMode.Smart"/> the budget is per source, with an exact cap over unfamiliar sources.
/// The scripts read the time from Redis (<see cref="RedisClock"/>).
/// </remarks>
public sealed class GuessBudget(
    RedisScripts scripts,
    LockoutKeyspace keyspace,
    IOptions<LockoutPolicy> policy,
    IOptions<LockoutRedisOptions> redisOptions,
    RedisClock clock,
    TimeProvider timeProvider)
{
    private static readonly NamedScript ReserveScript = LuaScripts.Load("reserve");
    private static readonly NamedScript RecordFailureScript = LuaScripts.Load("record_failure");
    private static readonly NamedScript RecordSuccessScript = LuaScripts.Load("record_success");
    private static readonly NamedScript SmartReserveScript = LuaScripts.Load("smart_reserve", smart: true);
    private static readonly NamedScript SmartRecordFailureScript = LuaScripts.Load("smart_record_failure", smart: true);
    private static readonly NamedScript SmartRecordSuccessScript = LuaScripts.Load("smart_record_success", smart: true);
    private static readonly NamedScript SmartLiftBlockScript = LuaScripts.Load("smart_lift_block", smart: true);
    private static readonly NamedScript SmartReadBlocksScript = LuaScripts.Load("smart_read_blocks", smart: true);
    private static readonly NamedScript AdoptDatabaseLockScript = LuaScripts.Load("adopt_database_lock");
    private static readonly NamedScript ConfirmAppliedScript = LuaScripts.Load("confirm_applied");
    private static readonly NamedScript UnlockScript = LuaScripts.Load("unlock");
    private static readonly NamedScript ReadStateScript = LuaScripts.Load("read_state");

    private readonly LockoutPolicy _policy = policy.Value;
    private readonly LockoutRedisOptions _redis = redisOptions.Value;
    private readonly bool _smart = policy.Value.Mode == LockoutMode.Smart;
    private readonly string _levels = string.Join(",", policy.Value.Smart.EffectiveLockLevels.Select(Milliseconds));

    // Retries a release for as long as the lease it gives back could still be held: an attempt against a Redis that
    // does not answer fails when the client drops the silent connection or at its command timeout. The short delay
    // gives the lease back within a quarter of a second of a reconnection; until then the account's budget counts it,
    // and its next wrong password can be a 423 with no lock behind it.
    private readonly ResiliencePipeline _releaseRetry = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(RedisUnavailable.Is),
            MaxRetryAttempts = Math.Max(1, (int)policy.Value.ReservationLease.TotalSeconds),
            Delay = TimeSpan.FromMilliseconds(250),
        })
        .Build();

    private IDatabase Database => scripts.Database;

    public LockoutMode Mode => _policy.Mode;

    /// <summary>Reserves one verification for the account (by this source), unless a rule refuses it.</summary>
    /// <param name="wrongPasswordTag">Smart mode: the keyed hash of the password, to recognise one already tried.</param>
    /// <exception cref="OutboxFullException">This attempt could lock or block, and the outbox is full.</exception>
    public async Task<Reservation> ReserveAsync(string normalizedUsername, string source, string wrongPasswordTag = "")
    {
        var keys = keyspace.Account(normalizedUsername);
        var leaseId = Guid.NewGuid().ToString("N");
        RedisValue[]? result;
        try
        {
            result = (RedisValue[]?)await (_smart
                ? scripts.RunAsync(SmartReserveScript, keys.Smart,
                [
                    .. Common(keys, normalizedUsername, null), _policy.MaxFailedAttempts, Milliseconds(_policy.FailureWindow),
                    Milliseconds(_policy.ReservationLease), leaseId, _redis.OutboxCapacityPerBucket, source,
                    Milliseconds(_policy.Smart.FamiliarFor), _policy.Smart.AccountCap, Milliseconds(_policy.Smart.CapWindow), wrongPasswordTag,
                ])
                : scripts.RunAsync(ReserveScript, keys.Common,
                [
                    .. Common(keys, normalizedUsername, null), _policy.MaxFailedAttempts, Milliseconds(_policy.FailureWindow),
                    Milliseconds(_policy.ReservationLease), leaseId, _redis.OutboxCapacityPerBucket,
                ]));
        }
        catch (Exception exception) when (RedisUnavailable.Is(exception))
        {
            // A stalled Redis may still run the reservation once it wakes, and the slot would then be held for a whole
            // lease: give it back once Redis answers again (a release of a lease that was never taken does nothing).
            _ = ReleaseWhenRedisAnswersAsync(keys.Leases, leaseId, source);
            throw;
        }

        var status = (int)result![0];
        if (status == 3)
        {
            throw new OutboxFullException();
        }

        var familiar = _smart && (int)result[6] == 1;
        // Account mode: reserved on an account with no failures and no other attempt in flight (see RecordSuccessAsync).
        var clean = !_smart && status == 0 && (int)result[1] == 0 && (int)result[5] == 0;
        var reservationStatus = status switch
        {
            0 => ReservationStatus.Reserved,
            1 => ReservationStatus.Locked,
            2 => ReservationStatus.BudgetExhausted,
            4 => ReservationStatus.SourceBlocked,
            _ => ReservationStatus.RepeatedWrongPassword,
        };
        return new Reservation(
            normalizedUsername,
            _smart ? $"{(familiar ? 'f' : 'u')}|{source}|{leaseId}" : leaseId,
            reservationStatus,
            (int)result[1],
            (long)result[2],
            EndsAt((long)result[3]),
            (long)result[4],
            source,
            familiar,
            _smart && (long)result[5] > 0 ? TimeSpan.FromMilliseconds((long)result[5]) : null)
        {
            Clean = clean,
        };
    }

    /// <summary>
    /// Counts a wrong password; the failure that fills a budget locks the account (or blocks the source) and queues
    /// the event.
    /// </summary>
    /// <param name="knownUser">Whether the username exists: a lock on one that does not is forgotten after a retention.</param>
    /// <param name="traceParent">The W3C context of the request, carried with the event to the database row.</param>
    public async Task<FailureOutcome> RecordFailureAsync(Reservation reservation, bool knownUser, string? traceParent, string wrongPasswordTag = "")
    {
        var keys = keyspace.Account(reservation.NormalizedUsername);
        if (_smart)
        {
            var smart = (RedisValue[]?)await scripts.RunAsync(SmartRecordFailureScript, keys.Smart,
            [
                .. Common(keys, reservation.NormalizedUsername, traceParent), _policy.MaxFailedAttempts, Milliseconds(_policy.FailureWindow),
                reservation.LeaseId, knownUser ? 1 : 0, Milliseconds(_redis.UnknownUserRetention), reservation.Source,
                _policy.Smart.AccountCap, Milliseconds(_policy.Smart.CapWindow), wrongPasswordTag, _levels,
                Milliseconds(_policy.Smart.LevelResetAfter), Guid.CreateVersion7().ToString(),
            ]);
            var status = (int)smart![0] switch
            {
                0 => FailureStatus.Counted,
                1 => FailureStatus.LockedNow,
                3 => FailureStatus.SourceBlockedNow,
                _ => FailureStatus.AlreadyLocked,
            };
            return new FailureOutcome(status, (int)smart[1], status is FailureStatus.Counted or FailureStatus.AlreadyLocked ? null : EndsAt((long)smart[2]), (int)smart[3]);
        }

        var result = (RedisValue[]?)await scripts.RunAsync(RecordFailureScript, keys.Common,
        [
            .. Common(keys, reservation.NormalizedUsername, traceParent), _policy.MaxFailedAttempts, Milliseconds(_policy.FailureWindow),
            reservation.LeaseId, _policy.LockDuration is { } duration ? Milliseconds(duration) : 0,
            knownUser ? 1 : 0, Milliseconds(_redis.UnknownUserRetention),
        ]);

        return new FailureOutcome((FailureStatus)(int)result![0], (int)result[1], EndsAt((long)result[2]));
    }

    /// <summary>Settles a right password: forgets the failures (Smart mode: the source's, and it becomes familiar); false when locked.</summary>
    /// <remarks>
    /// The fast path, for an honest login to a clean account (<see cref="Reservation.Clean"/>): the lease is given back
    /// with a plain <c>ZREM</c>, sent without waiting for its answer, instead of a second script. Nothing the script
    /// would do is left undone: there were no failures to forget when the attempt was reserved, and the account cannot
    /// have been locked since, because a lock needs the whole budget of failures and this attempt holds one slot of it
    /// until the <c>ZREM</c> (a database lock is refused before verifying, when the row is read). A failure that another
    /// request reserved after this one and recorded before it stays counted: the sign-in took effect when it reserved.
    /// The <c>ZREM</c> goes out on the multiplexer's connection ahead of anything this instance sends Redis later; if it
    /// is lost with the connection, the lease runs out by itself, as for a request that dies before it settles.
    /// </remarks>
    public async Task<bool> RecordSuccessAsync(Reservation reservation)
    {
        var keys = keyspace.Account(reservation.NormalizedUsername);
        if (reservation.Clean)
        {
            _ = Database.SortedSetRemoveAsync(keys.Leases, reservation.LeaseId, CommandFlags.FireAndForget);
            return true;
        }

        var result = (RedisValue[]?)await (_smart
            ? scripts.RunAsync(SmartRecordSuccessScript, keys.Smart,
            [
                .. Common(keys, reservation.NormalizedUsername, null), reservation.LeaseId, reservation.Source,
                Milliseconds(_policy.Smart.FamiliarFor), _policy.Smart.MaxFamiliarSources,
            ])
            : scripts.RunAsync(RecordSuccessScript, keys.Common, [.. Common(keys, reservation.NormalizedUsername, null), reservation.LeaseId]));

        return (int)result![0] == 0;
    }

    /// <summary>Returns a reservation unused, when the password could not be verified: its lease goes, nothing is counted.</summary>
    public Task ReleaseAsync(Reservation reservation) =>
        Database.SortedSetRemoveAsync(keyspace.Account(reservation.NormalizedUsername).Leases, reservation.LeaseId);

    /// <summary>Remembers a lock found in the database so later attempts are refused from Redis alone.</summary>
    public Task AdoptDatabaseLockAsync(Reservation reservation, DateTimeOffset? lockedUntil, long version)
    {
        var keys = keyspace.Account(reservation.NormalizedUsername);
        return scripts.RunAsync(AdoptDatabaseLockScript, keys.Common,
        [
            .. Common(keys, reservation.NormalizedUsername, null), reservation.LeaseId, lockedUntil?.ToUnixTimeMilliseconds() ?? 0,
            version, Milliseconds(_redis.StateRetention),
        ]);
    }

    /// <summary>
    /// The login has read the account's row: lets Redis forget its pending decision once the row shows it.
    /// </summary>
    /// <param name="rowVersion">The row's <c>LOCK_VERSION</c>; null when there is no such user.</param>
    public Task ConfirmAppliedAsync(string normalizedUsername, long? rowVersion) =>
        scripts.RunAsync(ConfirmAppliedScript, [keyspace.Account(normalizedUsername).State], [rowVersion ?? -1, Milliseconds(_redis.StateRetention)]);

    /// <summary>Clears the account's lock, failures and lock level and queues the UNLOCKED event; returns its version.</summary>
    /// <exception cref="OutboxFullException">The outbox is full; nothing was changed.</exception>
    public async Task<long> UnlockAsync(string normalizedUsername, string @operator, string? traceParent)
    {
        var keys = keyspace.Account(normalizedUsername);
        var version = (long)await scripts.RunAsync(UnlockScript, keys.Common,
            [.. Common(keys, normalizedUsername, traceParent), _redis.OutboxCapacityPerBucket, @operator]);

        return version >= 0 ? version : throw new OutboxFullException();
    }

    /// <summary>Smart mode: lifts a source's block on the account; false when the source was not blocked.</summary>
    /// <exception cref="OutboxFullException">The outbox is full; nothing was changed.</exception>
    public async Task<bool> LiftBlockAsync(string normalizedUsername, string source, string @operator, string? traceParent)
    {
        var keys = keyspace.Account(normalizedUsername);
        var result = (long)await scripts.RunAsync(SmartLiftBlockScript, [.. keys.Common, keys.Blocks],
            [.. Common(keys, normalizedUsername, traceParent), _redis.OutboxCapacityPerBucket, source, @operator, Milliseconds(_policy.Smart.LevelResetAfter)]);

        return result >= 0 ? result == 1 : throw new OutboxFullException();
    }

    /// <summary>Smart mode: the sources the account has blocked now.</summary>
    public async Task<IReadOnlyList<SourceBlock>> ReadBlocksAsync(string normalizedUsername)
    {
        var result = (RedisValue[]?)await scripts.RunAsync(SmartReadBlocksScript, [keyspace.Account(normalizedUsername).Blocks], [clock.Shift()]) ?? [];
        return [.. result.Chunk(4).Select(block => new SourceBlock(
            block[0].ToString(), (int)block[1], UntilOrNull((long)block[2]), DateTimeOffset.FromUnixTimeMilliseconds((long)block[3])))];
    }

    /// <summary>What Redis knows of the account.</summary>
    public async Task<BudgetState> ReadAsync(string normalizedUsername)
    {
        var keys = keyspace.Account(normalizedUsername);
        var window = _smart ? _policy.Smart.CapWindow : _policy.FailureWindow;
        var result = (RedisValue[]?)await scripts.RunAsync(ReadStateScript, keys.Common,
            [.. Common(keys, normalizedUsername, null), Milliseconds(window), _smart ? 1 : 0]);

        var locked = (int)result![0] == 1;
        return new BudgetState(
            Locked: locked,
            FailedAttempts: (int)result[1],
            LockedAt: locked && (long)result[2] > 0 ? DateTimeOffset.FromUnixTimeMilliseconds((long)result[2]) : null,
            LockedUntil: locked && (long)result[3] > 0 ? DateTimeOffset.FromUnixTimeMilliseconds((long)result[3]) : null,
            Version: (long)result[4],
            PendingVersion: (long)result[5]);
    }

    /// <summary>The arguments every account script takes first: clock shift, username, bucket, an event id, traceparent.</summary>
    private RedisValue[] Common(AccountKeys keys, string normalizedUsername, string? traceParent) =>
        [clock.Shift(), normalizedUsername, keys.Bucket, Guid.CreateVersion7().ToString(), traceParent ?? ""];

    private async Task ReleaseWhenRedisAnswersAsync(RedisKey leases, string leaseId, string source)
    {
        // In Smart mode the lease is stored under its member name, which carries the familiarity the script chose;
        // both are tried.
        RedisValue[] members = _smart ? [$"u|{source}|{leaseId}", $"f|{source}|{leaseId}"] : [leaseId];
        try
        {
            await _releaseRetry.ExecuteAsync(async _ => await Database.SortedSetRemoveAsync(leases, members));
        }
        catch (Exception exception) when (RedisUnavailable.Is(exception))
        {
            // Redis stayed away longer than a lease: the lease has run out by itself.
        }
    }

    /// <summary>
    /// A lock or block end the scripts return as what remains of it (0: until an admin lifts it), on this instance's
    /// clock: the login's Retry-After and the refusal memory are counted from it, whatever Redis's clock says.
    /// </summary>
    private DateTimeOffset? EndsAt(long remainingMilliseconds) =>
        remainingMilliseconds > 0 ? timeProvider.GetUtcNow().AddMilliseconds(remainingMilliseconds) : null;

    /// <summary>The scripts' "until" on Redis's clock, in milliseconds; 0 means until an admin lifts it.</summary>
    private static DateTimeOffset? UntilOrNull(long milliseconds) => milliseconds > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(milliseconds) : null;

    private static long Milliseconds(TimeSpan span) => (long)span.TotalMilliseconds;
}

public enum ReservationStatus
{
    Reserved,
    Locked,
    BudgetExhausted,

    /// <summary>Smart mode: this source is blocked for the account.</summary>
    SourceBlocked,

    /// <summary>Smart mode: the password is one of the account's recent wrong ones; answered 401 unverified, uncounted.</summary>
    RepeatedWrongPassword,
}

/// <summary>A reserved attempt (or the reason there is none).</summary>
/// <param name="LeaseId">The reservation's member in the leases set (Smart mode: with its source and familiarity).</param>
/// <param name="Version">The account's last decision version known to Redis (0 when it knows none).</param>
/// <param name="LockedUntil">When refused by a lock or block: its end on this instance's clock, null when it lasts until lifted.</param>
/// <param name="PendingVersion">A decision Redis keeps until the database shows it; 0 when there is none.</param>
/// <param name="Familiar">Smart mode: the source signed in to the account recently.</param>
/// <param name="RetryAfter">Smart mode: when the account-wide cap frees a slot, for a refusal by the cap.</param>
public sealed record Reservation(
    string NormalizedUsername,
    string LeaseId,
    ReservationStatus Status,
    int Failures,
    long Version,
    DateTimeOffset? LockedUntil = null,
    long PendingVersion = 0,
    string Source = "",
    bool Familiar = false,
    TimeSpan? RetryAfter = null)
{
    /// <summary>
    /// Account mode: reserved on an account with no failures in the window and no other attempt in flight, so a right
    /// password settles with the lease alone (<see cref="GuessBudget.RecordSuccessAsync"/>).
    /// </summary>
    public bool Clean { get; init; }
}

public enum FailureStatus
{
    Counted = 0,
    LockedNow = 1,
    AlreadyLocked = 2,

    /// <summary>Smart mode: this failure filled the source's budget; the source is blocked for the account.</summary>
    SourceBlockedNow = 3,
}

/// <param name="LockedUntil">When the failure locked or blocked: its end on this instance's clock, null when it lasts until lifted.</param>
/// <param name="Level">Smart mode: the level of the lock or block it caused.</param>
public readonly record struct FailureOutcome(FailureStatus Status, int Failures, DateTimeOffset? LockedUntil = null, int Level = 0);

public sealed record BudgetState(bool Locked, int FailedAttempts, DateTimeOffset? LockedAt, DateTimeOffset? LockedUntil, long Version, long PendingVersion);

/// <param name="BlockedUntil">Null when the block lasts until an admin lifts it.</param>
public sealed record SourceBlock(string Source, int Level, DateTimeOffset? BlockedUntil, DateTimeOffset BlockedAt);

/// <summary>
/// The outbox holds its capacity of undelivered lock events (Kafka has been away for long): a decision that would add
/// one is not taken, so nothing is counted and no event is lost. Answered 503.
/// </summary>
public sealed class OutboxFullException() : Exception("The lock-event outbox is full; Kafka has not taken events for a long time.");

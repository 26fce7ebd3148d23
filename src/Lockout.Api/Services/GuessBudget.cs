using System.Reflection;
using Lockout.Api.Outbox;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Lockout.Api.Services;

/// <summary>
/// The exact guess budget of every account, kept in Redis and changed only by atomic Lua scripts.
/// </summary>
/// <remarks>
/// An attempt is reserved <em>before</em> its password is verified, so however many requests race, at most
/// <see cref="LockoutPolicy.MaxFailedAttempts"/> passwords are verified per window. The seed's order (read,
/// verify, increment) and Identity's <c>AccessFailedAsync</c> let racing requests verify more.
/// </remarks>
public sealed class GuessBudget(IConnectionMultiplexer redis, IOptions<LockoutPolicy> policy, TimeProvider clock)
{
    /// <summary>How long Redis remembers an unlocked account's last decision version.</summary>
    private static readonly TimeSpan StateRetention = TimeSpan.FromDays(1);

    private static readonly string ReserveScript = LoadScript("reserve");
    private static readonly string RecordFailureScript = LoadScript("record_failure");
    private static readonly string RecordSuccessScript = LoadScript("record_success");
    private static readonly string ReleaseScript = LoadScript("release");
    private static readonly string AdoptDatabaseLockScript = LoadScript("adopt_database_lock");
    private static readonly string UnlockScript = LoadScript("unlock");
    private static readonly string ReadStateScript = LoadScript("read_state");

    private readonly LockoutPolicy _policy = policy.Value;
    private IDatabase Database => redis.GetDatabase();

    /// <summary>Reserves one verification for the account, unless it is locked or its budget is taken.</summary>
    public async Task<Reservation> ReserveAsync(string normalizedUsername)
    {
        var keys = AccountKeys.For(normalizedUsername);
        var leaseId = Guid.NewGuid().ToString("N");
        var result = (RedisValue[]?)await Database.ScriptEvaluateAsync(
            ReserveScript,
            [keys.State, keys.Failures, keys.Leases],
            [Now(), _policy.MaxFailedAttempts, Milliseconds(_policy.FailureWindow), Milliseconds(_policy.ReservationLease), leaseId]);

        return new Reservation(normalizedUsername, leaseId, (ReservationStatus)(int)result![0], (int)result[1], (long)result[2], UntilOrNull((long)result[3]));
    }

    /// <summary>
    /// Counts a wrong password; the failure that fills the budget locks the account and queues the LOCKED event.
    /// </summary>
    /// <param name="traceParent">The W3C context of the request, carried with the event to the database row.</param>
    public async Task<FailureOutcome> RecordFailureAsync(Reservation reservation, string? traceParent)
    {
        var keys = AccountKeys.For(reservation.NormalizedUsername);
        var result = (RedisValue[]?)await Database.ScriptEvaluateAsync(
            RecordFailureScript,
            [keys.State, keys.Failures, keys.Leases, LockoutOutbox.StreamKey],
            [
                Now(), _policy.MaxFailedAttempts, Milliseconds(_policy.FailureWindow), reservation.LeaseId,
                Guid.CreateVersion7().ToString(), reservation.NormalizedUsername, traceParent ?? "",
                _policy.LockDuration is { } duration ? Milliseconds(duration) : 0,
            ]);

        return new FailureOutcome((FailureStatus)(int)result![0], (int)result[1], UntilOrNull((long)result[2]));
    }

    /// <summary>Forgets the failures after a right password; false when the account is locked.</summary>
    public async Task<bool> RecordSuccessAsync(Reservation reservation)
    {
        var keys = AccountKeys.For(reservation.NormalizedUsername);
        var result = (RedisValue[]?)await Database.ScriptEvaluateAsync(
            RecordSuccessScript,
            [keys.State, keys.Failures, keys.Leases],
            [Now(), reservation.LeaseId]);

        return (int)result![0] == 0;
    }

    /// <summary>Returns a reservation unused, when the password could not be verified.</summary>
    public Task ReleaseAsync(Reservation reservation) =>
        Database.ScriptEvaluateAsync(ReleaseScript, [AccountKeys.For(reservation.NormalizedUsername).Leases], [reservation.LeaseId]);

    /// <summary>Remembers a lock found in the database so later attempts are refused from Redis alone.</summary>
    public Task AdoptDatabaseLockAsync(Reservation reservation, DateTimeOffset? lockedUntil, long version)
    {
        var keys = AccountKeys.For(reservation.NormalizedUsername);
        return Database.ScriptEvaluateAsync(
            AdoptDatabaseLockScript,
            [keys.State, keys.Leases],
            [reservation.LeaseId, Now(), lockedUntil?.ToUnixTimeMilliseconds() ?? 0, version]);
    }

    /// <summary>Clears the account's lock and failures and queues the UNLOCKED event; returns its version.</summary>
    public async Task<long> UnlockAsync(string normalizedUsername, string? traceParent)
    {
        var keys = AccountKeys.For(normalizedUsername);
        var result = await Database.ScriptEvaluateAsync(
            UnlockScript,
            [keys.State, keys.Failures, LockoutOutbox.StreamKey],
            [Now(), Guid.CreateVersion7().ToString(), normalizedUsername, traceParent ?? "", Milliseconds(StateRetention)]);

        return (long)result;
    }

    /// <summary>What Redis knows of the account.</summary>
    public async Task<BudgetState> ReadAsync(string normalizedUsername)
    {
        var keys = AccountKeys.For(normalizedUsername);
        var result = (RedisValue[]?)await Database.ScriptEvaluateAsync(
            ReadStateScript,
            [keys.State, keys.Failures],
            [Now(), Milliseconds(_policy.FailureWindow)]);

        var locked = (int)result![0] == 1;
        return new BudgetState(
            Locked: locked,
            FailedAttempts: (int)result[1],
            LockedAt: locked && (long)result[2] > 0 ? DateTimeOffset.FromUnixTimeMilliseconds((long)result[2]) : null,
            LockedUntil: locked && (long)result[3] > 0 ? DateTimeOffset.FromUnixTimeMilliseconds((long)result[3]) : null,
            Version: (long)result[4]);
    }

    private long Now() => clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>The scripts' "locked until" in milliseconds; 0 means until an admin unlocks.</summary>
    private static DateTimeOffset? UntilOrNull(long milliseconds) => milliseconds > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(milliseconds) : null;

    private static long Milliseconds(TimeSpan span) => (long)span.TotalMilliseconds;

    // StackExchange.Redis sends a script's text once per server (SCRIPT LOAD) and EVALSHA after that, and loads it
    // again after a NOSCRIPT (a Redis restart, SCRIPT FLUSH): the text is passed on every call, never sent on every call.
    private static string LoadScript(string name)
    {
        var assembly = typeof(GuessBudget).Assembly;
        return ReadResource(assembly, "prelude") + "\n" + ReadResource(assembly, name);

        static string ReadResource(Assembly assembly, string name)
        {
            using var stream = assembly.GetManifestResourceStream($"Lockout.Api.Services.Scripts.{name}.lua")
                ?? throw new InvalidOperationException($"The Lua script '{name}' is not embedded.");
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
    }

    private readonly record struct AccountKeys(RedisKey State, RedisKey Failures, RedisKey Leases)
    {
        public static AccountKeys For(string normalizedUsername)
        {
            var state = $"lockout:{{{normalizedUsername}}}";
            return new AccountKeys(state, state + ":failures", state + ":leases");
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
public sealed record Reservation(string NormalizedUsername, string LeaseId, ReservationStatus Status, int Failures, long Version, DateTimeOffset? LockedUntil = null);

public enum FailureStatus
{
    Counted = 0,
    LockedNow = 1,
    AlreadyLocked = 2,
}

/// <param name="LockedUntil">When the account is locked: the end of a timed lock, null otherwise.</param>
public readonly record struct FailureOutcome(FailureStatus Status, int Failures, DateTimeOffset? LockedUntil = null);

public sealed record BudgetState(bool Locked, int FailedAttempts, DateTimeOffset? LockedAt, DateTimeOffset? LockedUntil, long Version);

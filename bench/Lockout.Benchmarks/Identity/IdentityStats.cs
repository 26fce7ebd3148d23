using System.Collections.Concurrent;
using System.Diagnostics;
using HdrHistogram;

namespace Lockout.Benchmarks.Identity;

/// <summary>
/// What the Identity server counts about itself: since the last reset, passwords verified, the verified ones it
/// answered 401, and how long each lock took from the wrong password to the committed row; and since it started,
/// passwords verified per account (a run's accounts are new, and its unmeasured preparation counts too).
/// </summary>
internal sealed class IdentityStats
{
    private readonly ConcurrentDictionary<string, long> _perAccount = new(StringComparer.Ordinal);
    private Counters _counters = new();

    public void PasswordVerified(string normalizedUsername)
    {
        Interlocked.Increment(ref Volatile.Read(ref _counters).Verifications);
        _perAccount.AddOrUpdate(normalizedUsername, 1, (_, count) => count + 1);
    }

    public void AnsweredUnauthorized() => Interlocked.Increment(ref Volatile.Read(ref _counters).Unauthorized);

    /// <summary>A lock committed; <paramref name="decidedAt"/> is when the wrong password was found.</summary>
    public void LockCommitted(long decidedAt) =>
        Volatile.Read(ref _counters).LockCommit.RecordValue(Math.Max(1, Stopwatch.GetElapsedTime(decidedAt).Ticks / 10));

    /// <param name="normalizedPrefix">The run's accounts: the per-account maximum is theirs.</param>
    public IdentityStatsResponse Read(string normalizedPrefix)
    {
        var counters = Volatile.Read(ref _counters);
        var histogram = counters.LockCommit;
        return new IdentityStatsResponse(
            Interlocked.Read(ref counters.Verifications),
            _perAccount.Where(account => account.Key.StartsWith(normalizedPrefix, StringComparison.Ordinal)).Select(account => account.Value).DefaultIfEmpty(0).Max(),
            Interlocked.Read(ref counters.Unauthorized),
            histogram.TotalCount,
            histogram.TotalCount == 0 ? null : histogram.GetValueAtPercentile(50) / 1000.0,
            histogram.TotalCount == 0 ? null : histogram.GetValueAtPercentile(99) / 1000.0);
    }

    public void Reset() => Volatile.Write(ref _counters, new Counters());

    private sealed class Counters
    {
        public readonly LongConcurrentHistogram LockCommit = new(1, 3_600_000_000, 3);
        public long Verifications;
        public long Unauthorized;
    }
}

/// <summary>The Identity server's <c>GET /stats</c>.</summary>
/// <param name="MaxVerificationsPerAccount">The most passwords verified for one of the accounts asked about.</param>
/// <param name="AnsweredUnauthorized">Verified wrong passwords answered 401 (the rest answered 423, or 200 when right).</param>
/// <param name="LockCommitP50Ms">Wrong password found to committed lock, in milliseconds.</param>
internal sealed record IdentityStatsResponse(
    long Verifications, long MaxVerificationsPerAccount, long AnsweredUnauthorized, long Locks, double? LockCommitP50Ms, double? LockCommitP99Ms);

using System.Diagnostics;
using HdrHistogram;

namespace Lockout.Benchmarks.Baseline;

/// <summary>What the baseline counts about itself: passwords verified, and how long each lock took to commit.</summary>
internal sealed class BaselineStats
{
    private LongConcurrentHistogram _lockCommit = NewHistogram();
    private long _verifications;

    public void PasswordVerified() => Interlocked.Increment(ref _verifications);

    /// <summary>A lock committed; <paramref name="decidedAt"/> is when the wrong password was found.</summary>
    public void LockCommitted(long decidedAt) =>
        Volatile.Read(ref _lockCommit).RecordValue(Math.Max(1, Stopwatch.GetElapsedTime(decidedAt).Ticks / 10));

    public BaselineStatsResponse Read()
    {
        var histogram = Volatile.Read(ref _lockCommit);
        return new BaselineStatsResponse(
            Interlocked.Read(ref _verifications),
            histogram.TotalCount,
            histogram.TotalCount == 0 ? null : histogram.GetValueAtPercentile(50) / 1000.0,
            histogram.TotalCount == 0 ? null : histogram.GetValueAtPercentile(99) / 1000.0);
    }

    public void Reset()
    {
        Interlocked.Exchange(ref _verifications, 0);
        Volatile.Write(ref _lockCommit, NewHistogram());
    }

    private static LongConcurrentHistogram NewHistogram() => new(1, 3_600_000_000, 3);
}

/// <summary>The baseline's <c>GET /stats</c>.</summary>
/// <param name="LockCommitP50Ms">Decision (wrong password found) to committed lock, in milliseconds.</param>
internal sealed record BaselineStatsResponse(long Verifications, long Locks, double? LockCommitP50Ms, double? LockCommitP99Ms);

using System.Diagnostics;
using HdrHistogram;

namespace Lockout.Benchmarks.Load;

/// <summary>What one connection has seen. Written by its own loop only, read by the progress display.</summary>
internal sealed class ConnectionTally
{
    public long Ok;
    public long Unauthorized;
    public long Locked;
    public long OtherStatus;
    public long Errors;
    public long Measured;
    public long LastCompletedTimestamp;

    public long Completed => Volatile.Read(ref Ok) + Volatile.Read(ref Unauthorized) + Volatile.Read(ref Locked) + Volatile.Read(ref OtherStatus);
}

/// <summary>
/// Latencies (HdrHistogram, microseconds) of requests started inside the measured window, and the answers to every
/// request (warm-up included: the guess budget is spent whenever it is spent).
/// </summary>
internal sealed class LoadRecorder(int trackedAccounts)
{
    private const long HighestMicroseconds = 3_600_000_000;

    private readonly LongConcurrentHistogram _latency = new(1, HighestMicroseconds, 3);
    private readonly List<ConnectionTally> _tallies = [];

    // Answers that reveal a verified password (200 and 401), per account.
    private readonly int[] _verifiedAnswers = new int[trackedAccounts];

    /// <summary>Requests started before this <see cref="Stopwatch"/> timestamp are warm-up: answered, not timed.</summary>
    public long MeasureFrom { get; set; }

    public ConnectionTally NewConnectionTally()
    {
        var tally = new ConnectionTally();
        lock (_tallies)
        {
            _tallies.Add(tally);
        }

        return tally;
    }

    public void Record(ConnectionTally tally, int account, int status, long started, long completed)
    {
        switch (status)
        {
            case 200:
                tally.Ok++;
                CountVerifiedAnswer(account);
                break;
            case 401:
                tally.Unauthorized++;
                CountVerifiedAnswer(account);
                break;
            case 423:
                tally.Locked++;
                break;
            default:
                tally.OtherStatus++;
                break;
        }

        tally.LastCompletedTimestamp = completed;
        if (started >= MeasureFrom)
        {
            tally.Measured++;
            _latency.RecordValue(Math.Clamp((completed - started) * 1_000_000 / Stopwatch.Frequency, 1, HighestMicroseconds));
        }
    }

    public long Completed => Tallies().Sum(tally => tally.Completed);

    public long MeasuredCompleted => Tallies().Sum(tally => Volatile.Read(ref tally.Measured));

    public LoadOutcome Summarize(long startedTimestamp)
    {
        var tallies = Tallies();
        var lastCompleted = tallies.Count == 0 ? startedTimestamp : tallies.Max(tally => tally.LastCompletedTimestamp);
        var measuredFrom = Math.Max(MeasureFrom, startedTimestamp);
        return new LoadOutcome(
            Ok: tallies.Sum(t => t.Ok),
            Unauthorized: tallies.Sum(t => t.Unauthorized),
            Locked: tallies.Sum(t => t.Locked),
            OtherStatus: tallies.Sum(t => t.OtherStatus),
            Errors: tallies.Sum(t => t.Errors),
            Measured: tallies.Sum(t => t.Measured),
            MeasuredDuration: Stopwatch.GetElapsedTime(measuredFrom, Math.Max(lastCompleted, measuredFrom)),
            Latency: _latency.Copy(),
            VerifiedAnswersByAccount: _verifiedAnswers,
            CompletedAtUtc: DateTime.UtcNow - Stopwatch.GetElapsedTime(lastCompleted));
    }

    private void CountVerifiedAnswer(int account)
    {
        if ((uint)account < (uint)_verifiedAnswers.Length)
        {
            Interlocked.Increment(ref _verifiedAnswers[account]);
        }
    }

    private List<ConnectionTally> Tallies()
    {
        lock (_tallies)
        {
            return [.. _tallies];
        }
    }
}

/// <summary>The answers to one load run.</summary>
/// <param name="Measured">Requests started in the measured window (after warm-up).</param>
/// <param name="MeasuredDuration">From the window's start to the last answer.</param>
/// <param name="Latency">Microseconds, measured requests only.</param>
/// <param name="VerifiedAnswersByAccount">200 and 401 answers per account index.</param>
/// <param name="CompletedAtUtc">When the last answer arrived.</param>
internal sealed record LoadOutcome(
    long Ok,
    long Unauthorized,
    long Locked,
    long OtherStatus,
    long Errors,
    long Measured,
    TimeSpan MeasuredDuration,
    HistogramBase Latency,
    int[] VerifiedAnswersByAccount,
    DateTime CompletedAtUtc)
{
    public long Answered => Ok + Unauthorized + Locked + OtherStatus;

    public double RequestsPerSecond => MeasuredDuration > TimeSpan.Zero ? Measured / MeasuredDuration.TotalSeconds : 0;

    public double LatencyMilliseconds(double percentile) =>
        Latency.TotalCount == 0 ? double.NaN : Latency.GetValueAtPercentile(percentile) / 1000.0;
}

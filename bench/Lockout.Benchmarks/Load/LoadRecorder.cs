using System.Diagnostics;
using HdrHistogram;

namespace Lockout.Benchmarks.Load;

/// <summary>What one connection has seen. Written by its own loop only, read by the progress display.</summary>
internal sealed class ConnectionTally
{
    public long Ok;
    public long Unauthorized;
    public long Locked;
    public long Throttled;
    public long OtherStatus;
    public long Errors;
    public long Measured;
    public long LastCompletedTimestamp;

    public long Completed => Volatile.Read(ref Ok) + Volatile.Read(ref Unauthorized) + Volatile.Read(ref Locked) + Volatile.Read(ref Throttled) + Volatile.Read(ref OtherStatus);
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
            case 429:
                tally.Throttled++;
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
            Latency: LatencySummary.From(_latency),
            VerifiedAnswersByAccount: _verifiedAnswers,
            CompletedAtUtc: DateTime.UtcNow - Stopwatch.GetElapsedTime(lastCompleted))
        {
            Throttled = tallies.Sum(t => t.Throttled),
        };
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
/// <param name="OtherStatus">Any other status; from wrk, every answer below 400 (it counts only the others, as one figure).</param>
/// <param name="Measured">Requests started in the measured window (after warm-up).</param>
/// <param name="MeasuredDuration">From the window's start to the last answer.</param>
/// <param name="Latency">Measured requests only.</param>
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
    LatencySummary Latency,
    int[] VerifiedAnswersByAccount,
    DateTime CompletedAtUtc)
{
    /// <summary>Which generator drove the run (<see cref="LoadGenerator"/>).</summary>
    public string Generator { get; init; } = LoadGenerator.Builtin;

    /// <summary>Answers 429: the source is throttled (Lockout's source throttle; the built-in generator only).</summary>
    public long Throttled { get; init; }

    /// <summary>What a scenario's own load saw beyond the counts (the targeted attack's owner), for the run's notes.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>What a scenario's own load found wrong, for the run's problems.</summary>
    public IReadOnlyList<string> Problems { get; init; } = [];

    /// <summary>
    /// wrk only: answers of 400 and above (401, 423 or anything else), which wrk on its fast path counts as one figure,
    /// warm-up included; until the system's own records split them, they are in none of the status counts.
    /// </summary>
    public long UnsplitRefusals { get; init; }

    /// <summary>wrk only: of <see cref="UnsplitRefusals"/>, those in the measured run.</summary>
    public long MeasuredRefusals { get; init; }

    public long Answered => Ok + Unauthorized + Locked + Throttled + OtherStatus + UnsplitRefusals;

    public double RequestsPerSecond => MeasuredDuration > TimeSpan.Zero ? Measured / MeasuredDuration.TotalSeconds : 0;
}

/// <summary>Latency percentiles of a run's measured requests, in milliseconds; NaN when no request was timed.</summary>
internal sealed record LatencySummary(double P50Ms, double P99Ms, double P999Ms, double MaxMs)
{
    public static readonly LatencySummary None = new(double.NaN, double.NaN, double.NaN, double.NaN);

    /// <param name="microseconds">The built-in generator's histogram, in microseconds.</param>
    public static LatencySummary From(HistogramBase microseconds) => microseconds.TotalCount == 0
        ? None
        : new(microseconds.GetValueAtPercentile(50) / 1000.0, microseconds.GetValueAtPercentile(99) / 1000.0, microseconds.GetValueAtPercentile(99.9) / 1000.0, microseconds.GetMaxValue() / 1000.0);
}

/// <summary>Which program drives a run's HTTP load; recorded with each result.</summary>
internal static class LoadGenerator
{
    /// <summary>This program's own generator (<see cref="LoadRun"/>): every plan, closed-loop or paced.</summary>
    public const string Builtin = "builtin";

    /// <summary>wrk (<see cref="WrkRun"/>): closed-loop, one static request, fixed duration.</summary>
    public const string Wrk = "wrk";

    /// <summary>No HTTP load (the outbox drain).</summary>
    public const string None = "none";
}

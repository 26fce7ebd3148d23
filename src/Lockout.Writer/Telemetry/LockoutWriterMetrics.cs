using System.Diagnostics.Metrics;
using Lockout.Events;

namespace Lockout.Writer.Telemetry;

/// <summary>The writer's OpenTelemetry instruments (meter <c>Lockout.Writer</c>).</summary>
public sealed class LockoutWriterMetrics
{
    public const string MeterName = "Lockout.Writer";

    private static readonly double[] LatencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
    private static readonly int[] BatchSizeBuckets = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];

    private readonly Histogram<int> _batchSize;
    private readonly Histogram<double> _batchDuration;
    private readonly Histogram<double> _lockLatency;
    private readonly Counter<long> _applied;
    private readonly Counter<long> _duplicates;
    private readonly Counter<long> _deadLettered;
    private readonly Counter<long> _retries;
    private long _consumerLag = -1;

    public LockoutWriterMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _batchSize = meter.CreateHistogram("lockout.writer.batch.size", "{event}", "Events per database transaction.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = BatchSizeBuckets });
        _batchDuration = meter.CreateHistogram("lockout.writer.batch.duration", "s", "Time to apply and commit one batch.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        _lockLatency = meter.CreateHistogram("lockout.lock.latency", "s", "From the lock decision in Redis to its committed database row.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        _applied = meter.CreateCounter<long>("lockout.writer.events.applied", "{event}", "Lock events recorded in the database.");
        _duplicates = meter.CreateCounter<long>("lockout.writer.events.duplicates", "{event}", "Redelivered lock events that were already recorded.");
        _deadLettered = meter.CreateCounter<long>("lockout.writer.dead_lettered", "{event}", "Events sent to the dead-letter topic: unreadable, or refused by the database.");
        _retries = meter.CreateCounter<long>("lockout.writer.retries", "{retry}", "Batches that could not be written (the database or the broker was unavailable) and were tried again.");
        meter.CreateObservableGauge("lockout.writer.consumer_lag", ObserveLag, "{event}", "Events on the topic the writer has not consumed yet.");
    }

    public void BatchApplied(int size, TimeSpan duration)
    {
        _batchSize.Record(size);
        _batchDuration.Record(duration.TotalSeconds);
    }

    public void EventApplied(LockoutEventType type, TimeSpan decisionToCommit)
    {
        var tag = new KeyValuePair<string, object?>("type", type.Name());
        _applied.Add(1, tag);
        _lockLatency.Record(Math.Max(0, decisionToCommit.TotalSeconds), tag);
    }

    public void DuplicateSkipped() => _duplicates.Add(1);

    public void DeadLettered(int count) => _deadLettered.Add(count);

    public void WriteRetried() => _retries.Add(1);

    public void ConsumerLagObserved(long lag) => Volatile.Write(ref _consumerLag, lag);

    private IEnumerable<Measurement<long>> ObserveLag()
    {
        var lag = Volatile.Read(ref _consumerLag);
        return lag < 0 ? [] : [new Measurement<long>(lag)];
    }
}

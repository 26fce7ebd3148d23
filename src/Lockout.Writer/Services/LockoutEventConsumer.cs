using System.Diagnostics;
using Confluent.Kafka;
using Lockout.Events;
using Lockout.Kafka;
using Lockout.Writer.Telemetry;
using Microsoft.Extensions.Options;

namespace Lockout.Writer.Services;

/// <summary>
/// Consumes <c>lockout-events</c> in order per partition and applies them in batches: unreadable events to the
/// dead-letter topic, the rest in one database transaction, and only then the offsets.
/// </summary>
/// <remarks>
/// Offsets are committed after the database commit, so a crash re-delivers the uncommitted batch; the writer
/// applies each event id once, so re-delivery changes nothing. A database or broker outage pauses the loop
/// with backoff; nothing is committed until it has been written.
/// </remarks>
public sealed partial class LockoutEventConsumer(
    IConsumer<byte[]?, byte[]?> consumer,
    LockoutEventWriter writer,
    DeadLetterPublisher deadLetters,
    DatabaseSchema schema,
    LockoutWriterMetrics metrics,
    TimeProvider clock,
    IOptions<LockoutWriterOptions> options,
    ILogger<LockoutEventConsumer> logger) : BackgroundService
{
    public const string ActivitySourceName = "Lockout.Writer";
    private static readonly ActivitySource Source = new(ActivitySourceName);
    private const int MaxSpanLinks = 128;

    private readonly LockoutWriterOptions _options = options.Value;

    // Consume blocks its thread; give the loop its own rather than hold up the host's start.
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.Run(() => RunAsync(stoppingToken), CancellationToken.None);

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        try
        {
            await schema.WaitUntilReadyAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        consumer.Subscribe(LockoutTopics.Events);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var batch = CollectBatch();
                if (batch.Count > 0)
                {
                    // Once collected, a batch is finished even when shutdown is requested meanwhile; only an
                    // outage during shutdown abandons it (uncommitted, so it is consumed again later).
                    await ProcessAsync(batch, stoppingToken);
                }
            }
        }
        finally
        {
            // Leaves the group now, so the partitions move to another writer without waiting for a timeout.
            consumer.Close();
            LogStopped(logger);
        }
    }

    /// <summary>Waits briefly for one message, then takes whatever else is already fetched.</summary>
    private List<ConsumeResult<byte[]?, byte[]?>> CollectBatch()
    {
        var batch = new List<ConsumeResult<byte[]?, byte[]?>>();
        ConsumeResult<byte[]?, byte[]?>? first;
        try
        {
            first = consumer.Consume(_options.PollTimeout);
        }
        catch (ConsumeException exception) when (!exception.Error.IsFatal)
        {
            // For instance the topic does not exist yet on a fresh broker; librdkafka keeps trying.
            LogConsumeError(logger, exception.Error.Reason);
            return batch;
        }

        if (first is null)
        {
            return batch;
        }

        batch.Add(first);
        while (batch.Count < _options.MaxBatchSize && consumer.Consume(TimeSpan.Zero) is { } next)
        {
            batch.Add(next);
        }

        return batch;
    }

    private async Task ProcessAsync(List<ConsumeResult<byte[]?, byte[]?>> batch, CancellationToken stoppingToken)
    {
        var started = Stopwatch.GetTimestamp();
        var events = new List<ConsumedLockoutEvent>(batch.Count);
        var processSpans = new List<Activity>(batch.Count);
        var unreadable = new List<(ConsumeResult<byte[]?, byte[]?>, string)>();

        var current = Activity.Current;
        foreach (var consumed in batch)
        {
            var span = KafkaTelemetry.StartProcess(consumed.Topic, consumed.Message.Headers, consumed.Partition, consumed.Offset, _options.GroupId);
            if (span is not null)
            {
                processSpans.Add(span);
            }

            if (LockoutEventSerializer.TryDeserialize(consumed.Message.Value, out var lockoutEvent, out var reason))
            {
                var traceId = KafkaTelemetry.ExtractContext(consumed.Message.Headers).ActivityContext.TraceId;
                events.Add(new ConsumedLockoutEvent(lockoutEvent, traceId == default ? null : traceId.ToHexString()));
            }
            else
            {
                span?.SetStatus(ActivityStatusCode.Error, reason);
                unreadable.Add((consumed, reason));
            }
        }

        Activity.Current = current;

        try
        {
            if (!await WriteWithRetryAsync(events, unreadable, processSpans, stoppingToken))
            {
                return;
            }

            CommitOffsets(batch);
        }
        finally
        {
            foreach (var span in processSpans)
            {
                span.Dispose();
            }
        }

        metrics.BatchApplied(events.Count, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>Dead-letters and writes the batch, retrying outages; false when shutdown interrupted the retries.</summary>
    private async Task<bool> WriteWithRetryAsync(
        List<ConsumedLockoutEvent> events,
        List<(ConsumeResult<byte[]?, byte[]?> Message, string Reason)> unreadable,
        List<Activity> processSpans,
        CancellationToken stoppingToken)
    {
        var delay = _options.MinRetryDelay;
        var deadLettered = unreadable.Count == 0;
        while (true)
        {
            try
            {
                if (!deadLettered)
                {
                    await deadLetters.PublishAsync(unreadable, CancellationToken.None);
                    deadLettered = true;
                    metrics.DeadLettered(unreadable.Count);
                    foreach (var (message, reason) in unreadable)
                    {
                        LogDeadLettered(logger, message.Partition.Value, message.Offset.Value, reason);
                    }
                }

                if (events.Count > 0)
                {
                    await WriteAsync(events, processSpans);
                }

                return true;
            }
            catch (Exception exception) when (exception is Npgsql.NpgsqlException or KafkaException or TimeoutException)
            {
                LogWriteRetry(logger, delay.TotalSeconds, exception);
                if (stoppingToken.IsCancellationRequested)
                {
                    return false;
                }

                try
                {
                    await Task.Delay(delay, clock, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return false;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxRetryDelay.Ticks));
            }
        }
    }

    private async Task WriteAsync(List<ConsumedLockoutEvent> events, List<Activity> processSpans)
    {
        // One transaction has one parent: it joins the trace of the batch's first event and links to the rest,
        // as the messaging conventions suggest for batches. A lone event (the usual case) gets the whole path.
        // Links stop at OpenTelemetry's default limit; beyond it the SDK would drop them anyway.
        using var batchSpan = processSpans.Count == 0
            ? Source.StartActivity("apply lockout-events batch")
            : Source.StartActivity(
                "apply lockout-events batch",
                ActivityKind.Internal,
                processSpans[0].Context,
                links: processSpans.Skip(1).Take(MaxSpanLinks).Select(span => new ActivityLink(span.Context)));
        batchSpan?.SetTag("lockout.batch.size", events.Count);

        // No cancellation once started: a batch in flight is committed or rolled back by the database, never half-done.
        var inserted = await writer.ApplyAsync(events, CancellationToken.None);

        var committedAt = clock.GetUtcNow();
        for (var i = 0; i < events.Count; i++)
        {
            if (inserted[i])
            {
                metrics.EventApplied(events[i].Event.Type, committedAt - events[i].Event.OccurredAt);
            }
            else
            {
                metrics.DuplicateSkipped();
            }
        }
    }

    private void CommitOffsets(List<ConsumeResult<byte[]?, byte[]?>> batch)
    {
        var offsets = batch
            .GroupBy(result => result.TopicPartition)
            .Select(partition => new TopicPartitionOffset(partition.Key, partition.Max(result => result.Offset.Value) + 1))
            .ToList();
        try
        {
            consumer.Commit(offsets);
        }
        catch (KafkaException exception)
        {
            // The rows are committed; the offsets are not. The batch will be consumed again and recognised
            // as already recorded, so this costs time, not correctness.
            LogCommitFailed(logger, exception);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write a batch of lock events; retrying in {DelaySeconds} s. Nothing is committed until it is written.")]
    private static partial void LogWriteRetry(ILogger logger, double delaySeconds, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Committing offsets failed after the batch was written; it will be consumed again and skipped as already recorded.")]
    private static partial void LogCommitFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dead-lettered the message at partition {Partition} offset {Offset}: {Reason}")]
    private static partial void LogDeadLettered(ILogger logger, int partition, long offset, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consuming lock events failed ({Reason}); retrying.")]
    private static partial void LogConsumeError(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "The lock event consumer stopped and left its group.")]
    private static partial void LogStopped(ILogger logger);
}

using System.Diagnostics;
using System.Threading.Channels;
using Confluent.Kafka;
using Lockout.Events;
using Lockout.Kafka;
using Lockout.Writer.Telemetry;
using Polly;
using Polly.Retry;

namespace Lockout.Writer.Services;

/// <summary>
/// Applies one partition's events, in order, in batches: each batch in one transaction on its own connection, so
/// partitions are written concurrently and one partition's trouble holds up only that partition.
/// </summary>
/// <remarks>
/// A batch the database cannot take right now (connection lost, database restarting) is retried with backoff until it
/// can. An event the database refuses for good (a constraint, a bad value) is found by applying the batch's events one
/// by one, and dead-lettered with the reason; the others are applied. Nothing is committed to Kafka before it is in the
/// database or on the dead-letter topic.
/// </remarks>
public sealed partial class PartitionWriter : IAsyncDisposable
{
    private const int MaxSpanLinks = 128;
    private static readonly ActivitySource Source = new(LockoutEventConsumer.ActivitySourceName);

    private readonly Channel<ConsumeResult<byte[]?, byte[]?>> _inbox = Channel.CreateUnbounded<ConsumeResult<byte[]?, byte[]?>>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly LockoutEventWriter _writer;
    private readonly IncomingEventCheck _check;
    private readonly DeadLetterPublisher _deadLetters;
    private readonly LockoutWriterMetrics _metrics;
    private readonly LockoutWriterOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly Action<TopicPartitionOffset> _completed;
    private readonly SemaphoreSlim? _batchTurns;
    private readonly ResiliencePipeline _retry;
    private readonly Task _run;
    private int _queued;

    public PartitionWriter(
        TopicPartition partition,
        LockoutEventWriter writer,
        IncomingEventCheck check,
        DeadLetterPublisher deadLetters,
        LockoutWriterMetrics metrics,
        LockoutWriterOptions options,
        TimeProvider clock,
        ILogger logger,
        Action<TopicPartitionOffset> completed,
        SemaphoreSlim? batchTurns)
    {
        Partition = partition;
        _writer = writer;
        _check = check;
        _deadLetters = deadLetters;
        _metrics = metrics;
        _options = options;
        _clock = clock;
        _logger = logger;
        _completed = completed;
        _batchTurns = batchTurns;
        _retry = new ResiliencePipelineBuilder { TimeProvider = clock }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(exception =>
                    exception is not OperationCanceledException && !DatabaseErrors.RefusesTheData(exception)),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.MinRetryDelay,
                MaxDelay = options.MaxRetryDelay,
                OnRetry = arguments =>
                {
                    _metrics.WriteRetried();
                    LogWriteRetry(_logger, Partition.Partition.Value, arguments.RetryDelay.TotalSeconds, arguments.Outcome.Exception!);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
        _run = Task.Run(RunAsync);
    }

    public TopicPartition Partition { get; }

    /// <summary>Messages handed over and not yet applied: the consumer pauses the partition while this is high.</summary>
    public int Backlog => Volatile.Read(ref _queued);

    public void Enqueue(ConsumeResult<byte[]?, byte[]?> message)
    {
        Interlocked.Increment(ref _queued);
        _inbox.Writer.TryWrite(message);
    }

    /// <summary>
    /// Stops taking messages and waits for the batch in flight, so its offsets can be committed before the partition
    /// moves to another writer. Queued messages not yet in a batch are left uncommitted: their next owner reads them.
    /// </summary>
    public async Task StopAsync(TimeSpan grace)
    {
        _inbox.Writer.TryComplete();
        await _stopping.CancelAsync();
        await _run.WaitAsync(grace).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.Zero);
        _stopping.Dispose();
    }

    private async Task RunAsync()
    {
        var batch = new List<ConsumeResult<byte[]?, byte[]?>>(_options.MaxBatchSize);
        try
        {
            while (await _inbox.Reader.WaitToReadAsync(_stopping.Token))
            {
                batch.Clear();
                while (batch.Count < _options.MaxBatchSize && _inbox.Reader.TryRead(out var message))
                {
                    batch.Add(message);
                }

                // Once taken, a batch is finished even while stopping; only stopping during a database outage
                // abandons it, uncommitted, for the partition's next owner.
                if (await ProcessAsync(batch))
                {
                    _completed(new TopicPartitionOffset(Partition, batch[^1].Offset + 1));
                }

                Interlocked.Add(ref _queued, -batch.Count);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        catch (Exception exception)
        {
            // A bug, not an outage: the partition stops here (uncommitted) rather than take the process down.
            LogPartitionFailed(_logger, Partition.Partition.Value, exception);
        }
    }

    /// <summary>Dead-letters what is not signed or cannot be read and writes the rest; false when stopping interrupted it.</summary>
    private async Task<bool> ProcessAsync(List<ConsumeResult<byte[]?, byte[]?>> batch)
    {
        var started = Stopwatch.GetTimestamp();
        var events = new List<(ConsumeResult<byte[]?, byte[]?> Message, ConsumedLockoutEvent Event)>(batch.Count);
        var deadLetters = new List<(ConsumeResult<byte[]?, byte[]?> Message, string Reason)>();
        var processSpans = new List<Activity>(batch.Count);

        var current = Activity.Current;
        foreach (var consumed in batch)
        {
            var span = KafkaTelemetry.StartProcess(consumed.Topic, consumed.Message.Headers, consumed.Partition, consumed.Offset, _options.GroupId);
            if (span is not null)
            {
                processSpans.Add(span);
            }

            if (_check.TryAccept(consumed.Message, out var lockoutEvent, out var reason))
            {
                var traceId = KafkaTelemetry.ExtractContext(consumed.Message.Headers).ActivityContext.TraceId;
                events.Add((consumed, new ConsumedLockoutEvent(lockoutEvent, traceId == default ? null : traceId.ToHexString())));
            }
            else
            {
                span?.SetStatus(ActivityStatusCode.Error, reason);
                deadLetters.Add((consumed, reason));
            }
        }

        Activity.Current = current;
        try
        {
            if (events.Count > 0)
            {
                deadLetters.AddRange(await _retry.ExecuteAsync(async token => await WriteAsync(events, processSpans, token), _stopping.Token));
            }

            if (deadLetters.Count > 0)
            {
                await _retry.ExecuteAsync(async token => await _deadLetters.PublishAsync(deadLetters, token), _stopping.Token);
                _metrics.DeadLettered(deadLetters.Count);
                foreach (var (message, reason) in deadLetters)
                {
                    LogDeadLettered(_logger, message.Partition.Value, message.Offset.Value, reason);
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            return false;
        }
        finally
        {
            foreach (var span in processSpans)
            {
                span.Dispose();
            }
        }

        _metrics.BatchApplied(events.Count, Stopwatch.GetElapsedTime(started));
        return true;
    }

    /// <summary>
    /// Writes the events in one transaction. When the database refuses the data, writes them one by one instead, and
    /// returns each one it refuses with the database's reason. Retried whole on an outage: what was applied before it
    /// is recognised as already recorded.
    /// </summary>
    private async Task<List<(ConsumeResult<byte[]?, byte[]?> Message, string Reason)>> WriteAsync(
        List<(ConsumeResult<byte[]?, byte[]?> Message, ConsumedLockoutEvent Event)> events,
        List<Activity> processSpans,
        CancellationToken cancellationToken)
    {
        var refused = new List<(ConsumeResult<byte[]?, byte[]?> Message, string Reason)>();
        try
        {
            await ApplyAsync([.. events.Select(e => e.Event)], processSpans, cancellationToken);
            return refused;
        }
        catch (Exception exception) when (DatabaseErrors.RefusesTheData(exception) && events.Count > 1)
        {
            LogIsolating(_logger, events.Count, Partition.Partition.Value);
        }
        catch (Npgsql.PostgresException exception) when (DatabaseErrors.RefusesTheData(exception))
        {
            refused.Add((events[0].Message, RefusalReason(exception)));
            return refused;
        }

        foreach (var (message, lockoutEvent) in events)
        {
            try
            {
                await ApplyAsync([lockoutEvent], processSpans, cancellationToken);
            }
            catch (Npgsql.PostgresException exception) when (DatabaseErrors.RefusesTheData(exception))
            {
                refused.Add((message, RefusalReason(exception)));
            }
        }

        return refused;
    }

    private static string RefusalReason(Npgsql.PostgresException exception) =>
        $"The database refused the event: {exception.SqlState} {exception.MessageText}";

    private async Task ApplyAsync(IReadOnlyList<ConsumedLockoutEvent> events, List<Activity> processSpans, CancellationToken cancellationToken)
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

        // Cancelled only before it starts: a transaction in flight is committed or rolled back by the database.
        cancellationToken.ThrowIfCancellationRequested();
        // With Lockout:Writer:MaxConcurrentBatches the partitions take turns for the database (a connection each);
        // waiting for a turn is before the transaction starts, so stopping may still abandon the batch here.
        if (_batchTurns is not null)
        {
            await _batchTurns.WaitAsync(cancellationToken);
        }

        bool[] inserted;
        try
        {
            inserted = await _writer.ApplyAsync(events, CancellationToken.None);
        }
        finally
        {
            _batchTurns?.Release();
        }

        var committedAt = _clock.GetUtcNow();
        for (var i = 0; i < events.Count; i++)
        {
            if (inserted[i])
            {
                _metrics.EventApplied(events[i].Event.Type, committedAt - events[i].Event.OccurredAt);
            }
            else
            {
                _metrics.DuplicateSkipped();
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write a batch of partition {Partition}; retrying in {DelaySeconds:0.0} s. Nothing is committed until it is written.")]
    private static partial void LogWriteRetry(ILogger logger, int partition, double delaySeconds, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The database refused the data of a batch of {Count} events from partition {Partition}; applying them one by one to find the one it refuses.")]
    private static partial void LogIsolating(ILogger logger, int count, int partition);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dead-lettered the message at partition {Partition} offset {Offset}: {Reason}")]
    private static partial void LogDeadLettered(ILogger logger, int partition, long offset, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Partition {Partition} stopped on an unexpected error; it is left uncommitted.")]
    private static partial void LogPartitionFailed(ILogger logger, int partition, Exception exception);
}

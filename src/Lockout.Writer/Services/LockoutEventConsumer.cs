using System.Collections.Concurrent;
using Confluent.Kafka;
using Lockout.Events;
using Lockout.Writer.Telemetry;
using Microsoft.Extensions.Options;

namespace Lockout.Writer.Services;

/// <summary>
/// Consumes <c>lockout-events</c> and hands each assigned partition's messages, in order, to its own
/// <see cref="PartitionWriter"/>; commits each partition's offsets once its writer has put them in the database.
/// </summary>
/// <remarks>
/// One thread consumes (librdkafka's consumer is used from one thread); the partitions are written concurrently, a
/// connection each (at most <see cref="LockoutWriterOptions.MaxConcurrentBatches"/> at once when it is set), so a partition held up by a database problem or a backlog does not hold up the others. A partition
/// whose writer falls behind is paused until it catches up, which bounds the memory a backlog takes. Before a partition
/// moves to another writer instance, its batch in flight is finished and committed; what was fetched but not written
/// is consumed again by the new owner and recognised as already recorded if it was.
/// </remarks>
public sealed partial class LockoutEventConsumer(
    IConsumer<byte[]?, byte[]?> consumer,
    RebalanceListener rebalances,
    LockoutEventWriter writer,
    IncomingEventCheck check,
    DeadLetterPublisher deadLetters,
    DatabaseSchema schema,
    LockoutWriterMetrics metrics,
    TimeProvider clock,
    IOptions<LockoutWriterOptions> options,
    ILoggerFactory loggers,
    ILogger<LockoutEventConsumer> logger) : BackgroundService
{
    public const string ActivitySourceName = "Lockout.Writer";

    /// <summary>How long a partition's batch in flight may take to finish when the partition is taken away.</summary>
    private static readonly TimeSpan HandOverGrace = TimeSpan.FromSeconds(10);

    private readonly LockoutWriterOptions _options = options.Value;
    private readonly Dictionary<TopicPartition, PartitionWriter> _writers = [];
    private readonly HashSet<TopicPartition> _paused = [];
    private readonly ConcurrentQueue<TopicPartitionOffset> _completed = new();

    // Lockout:Writer:MaxConcurrentBatches, shared by the partitions' writers; none: each partition applies on its own.
    // Never disposed: a partition writer that outlives its hand-over grace may still give its turn back.
    private readonly SemaphoreSlim? _batchTurns = options.Value.MaxConcurrentBatches is { } most ? new SemaphoreSlim(most, most) : null;

    // Consume blocks its thread; the loop gets a thread of its own rather than one of the pool's.
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(() => RunAsync(stoppingToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();

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

        rebalances.Assigned = Assign;
        rebalances.Revoked = partitions => Release(partitions, HandOverGrace, commit: true);
        rebalances.Lost = partitions => Release(partitions, TimeSpan.Zero, commit: false);
        consumer.Subscribe(LockoutTopics.Events);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                ConsumeOnce();
            }
        }
        finally
        {
            Release([.. _writers.Keys], HandOverGrace, commit: true);
            // Leaves the group now, so the partitions move to another writer without waiting for a timeout.
            consumer.Close();
            LogStopped(logger);
        }
    }

    /// <summary>Waits briefly for a message and hands it to its partition's writer; commits what the writers finished.</summary>
    private void ConsumeOnce()
    {
        try
        {
            if (consumer.Consume(_options.PollTimeout) is { } message && _writers.TryGetValue(message.TopicPartition, out var partitionWriter))
            {
                partitionWriter.Enqueue(message);
                if (partitionWriter.Backlog >= 2 * _options.MaxBatchSize && _paused.Add(message.TopicPartition))
                {
                    consumer.Pause([message.TopicPartition]);
                }
            }

            CommitCompleted();
            ResumeCaughtUp();
        }
        catch (KafkaException exception) when (!exception.Error.IsFatal)
        {
            // For instance the topic does not exist yet on a fresh broker, or the broker is away; librdkafka keeps trying.
            LogConsumeError(logger, exception.Error.Reason);
        }
        catch (Exception exception) when (exception is not KafkaException)
        {
            LogUnexpected(logger, exception);
            Thread.Sleep(_options.MaxRetryDelay);
        }
    }

    private void Assign(IReadOnlyList<TopicPartition> partitions)
    {
        foreach (var partition in partitions.Where(partition => !_writers.ContainsKey(partition)))
        {
            _writers[partition] = new PartitionWriter(
                partition, writer, check, deadLetters, metrics, _options, clock, loggers.CreateLogger<PartitionWriter>(), _completed.Enqueue, _batchTurns);
        }

        LogAssigned(logger, partitions.Count, _writers.Count);
    }

    /// <summary>Stops the partitions' writers (waiting for their batches in flight) and commits what they wrote.</summary>
    private void Release(IReadOnlyList<TopicPartition> partitions, TimeSpan grace, bool commit)
    {
        var leaving = partitions.Where(_writers.ContainsKey).ToList();
        Task.WaitAll([.. leaving.Select(partition => _writers[partition].StopAsync(grace))]);
        if (commit)
        {
            CommitCompleted();
        }

        foreach (var partition in leaving)
        {
            _writers[partition].DisposeAsync().AsTask().Wait();
            _writers.Remove(partition);
            _paused.Remove(partition);
        }
    }

    /// <summary>Commits, per partition, the offset after the last message its writer has applied.</summary>
    private void CommitCompleted()
    {
        var latest = new Dictionary<TopicPartition, Offset>();
        while (_completed.TryDequeue(out var completed))
        {
            // A partition that has left since can no longer be committed by this writer; its next owner re-reads it.
            if (_writers.ContainsKey(completed.TopicPartition)
                && (!latest.TryGetValue(completed.TopicPartition, out var offset) || completed.Offset > offset))
            {
                latest[completed.TopicPartition] = completed.Offset;
            }
        }

        if (latest.Count == 0)
        {
            return;
        }

        try
        {
            consumer.Commit([.. latest.Select(pair => new TopicPartitionOffset(pair.Key, pair.Value))]);
        }
        catch (KafkaException exception)
        {
            // The rows are committed; the offsets are not. The messages will be consumed again and recognised as
            // already recorded, so this costs time, not correctness.
            LogCommitFailed(logger, exception);
        }
    }

    private void ResumeCaughtUp()
    {
        if (_paused.Count == 0)
        {
            return;
        }

        var caughtUp = _paused.Where(partition => _writers[partition].Backlog < _options.MaxBatchSize).ToList();
        if (caughtUp.Count > 0)
        {
            consumer.Resume(caughtUp);
            _paused.ExceptWith(caughtUp);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Committing offsets failed after the events were written; they will be consumed again and skipped as already recorded.")]
    private static partial void LogCommitFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consuming lock events failed ({Reason}); retrying.")]
    private static partial void LogConsumeError(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "The lock event consumer met an unexpected error; it goes on.")]
    private static partial void LogUnexpected(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Assigned} partitions were assigned to this writer; it now applies {Partitions}.")]
    private static partial void LogAssigned(ILogger logger, int assigned, int partitions);

    [LoggerMessage(Level = LogLevel.Information, Message = "The lock event consumer stopped and left its group.")]
    private static partial void LogStopped(ILogger logger);
}

using System.Collections.Concurrent;
using Confluent.Kafka;
using Lockout.Api.Redis;
using Lockout.Api.Telemetry;
using Lockout.Events;
using Lockout.Kafka;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using StackExchange.Redis;

namespace Lockout.Api.Outbox;

/// <summary>
/// Moves lock events from the Redis outbox to Kafka, in order per bucket, and removes each only after Kafka
/// acknowledged it.
/// </summary>
/// <remarks>
/// It waits for work: the scripts publish a wake-up when they append, and a slow sweep catches a lost one. While
/// Kafka is unreachable the events wait in Redis and logins go on; when it is back, they are sent. A delivery that
/// fails is retried, which may send an event twice: the writer applies each event id once. An entry Kafka refuses
/// for good is parked beside the stream with the reason, so one bad entry cannot hold the others back.
/// Any failure of Redis (a pause, a restart, a timeout) ends the round; the next one starts after a backoff.
/// </remarks>
public sealed partial class OutboxRelay(
    LockoutOutbox outbox,
    IProducer<string, byte[]> producer,
    EventSigner signer,
    LockoutApiMetrics metrics,
    IOptions<OutboxRelayOptions> options,
    IOptions<LockoutRedisOptions> redisOptions,
    TimeProvider clock,
    ILogger<OutboxRelay> logger) : BackgroundService
{
    // Kafka did not answer in time: nothing is wrong with the entry itself.
    private static readonly HashSet<ErrorCode> BrokerUnavailable =
    [
        ErrorCode.Local_MsgTimedOut, ErrorCode.Local_TimedOut, ErrorCode.Local_Transport, ErrorCode.Local_AllBrokersDown,
        ErrorCode.Local_QueueFull, ErrorCode.RequestTimedOut, ErrorCode.NetworkException, ErrorCode.Local_Destroy,
    ];

    // Kafka will never take this entry, however often it is sent.
    private static readonly HashSet<ErrorCode> RefusedForGood =
    [
        ErrorCode.MsgSizeTooLarge, ErrorCode.InvalidMsg, ErrorCode.InvalidMsgSize, ErrorCode.InvalidTimestamp,
        ErrorCode.InvalidRecord, ErrorCode.RecordListTooLarge, ErrorCode.Local_BadMsg,
    ];

    private readonly OutboxRelayOptions _options = options.Value;
    private readonly int _capacityPerBucket = redisOptions.Value.OutboxCapacityPerBucket;
    private readonly string _instance = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}";
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Lock _gate = new();
    private readonly HashSet<int> _woken = [];
    private readonly ConcurrentDictionary<RedisValue, int> _refusals = new();

    private int[] _owned = [];
    private DateTimeOffset _nextSweep = DateTimeOffset.MinValue;
    private TimeSpan _backoff = TimeSpan.Zero;
    private bool _subscribed;
    private bool _nearCapacity;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Each round runs under a retry that catches anything Redis or Kafka throws: the relay never stops the host.
        var rounds = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(exception => exception is not OperationCanceledException || !stoppingToken.IsCancellationRequested),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(200),
                MaxDelay = _options.MaxBackoff,
                OnRetry = arguments =>
                {
                    _subscribed = false; // a Redis that restarted may have dropped the subscription
                    LogRoundFailed(logger, arguments.AttemptNumber + 1, arguments.RetryDelay.TotalSeconds, arguments.Outcome.Exception!);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();

        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await rounds.ExecuteAsync(RoundAsync, stoppingToken);
                await WaitForWorkAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Refreshes membership when a sweep is due, then drains the buckets that have work.</summary>
    private async ValueTask RoundAsync(CancellationToken cancellationToken)
    {
        if (!_subscribed)
        {
            await outbox.SubscribeAsync(Wake);
            _subscribed = true;
            _nextSweep = DateTimeOffset.MinValue;
        }

        IReadOnlyList<int> buckets;
        if (clock.GetUtcNow() >= _nextSweep)
        {
            var alive = await outbox.HeartbeatAsync(_instance, _options.HeartbeatTimeToLive);
            _owned = RelayMembership.OwnedBuckets(_instance, alive, outbox.Buckets);
            var lengths = await outbox.LengthsAsync(_owned);
            ObserveDepth(lengths);
            buckets = [.. _owned.Where((_, i) => lengths[i] > 0)];
            _nextSweep = clock.GetUtcNow() + _options.SweepInterval;
        }
        else
        {
            lock (_gate)
            {
                buckets = [.. _woken.Where(bucket => _owned.Contains(bucket))];
                _woken.Clear();
            }
        }

        var drained = await Task.WhenAll(buckets.Select(bucket => DrainAsync(bucket, cancellationToken)));
        _backoff = drained.All(done => done) ? TimeSpan.Zero : NextBackoff(_backoff);
        if (_backoff == TimeSpan.Zero)
        {
            _refusals.Clear(); // nothing is waiting on a retry any more
        }
        if (_backoff > TimeSpan.Zero)
        {
            lock (_gate)
            {
                // Go back to the buckets Kafka did not take everything from, after the backoff.
                _woken.UnionWith(buckets);
            }
        }
    }

    /// <summary>Sends a bucket's entries in order until it is empty; false when Kafka left some undelivered.</summary>
    private async Task<bool> DrainAsync(int bucket, CancellationToken cancellationToken)
    {
        while (true)
        {
            var entries = await outbox.ReadAsync(bucket, _options.BatchSize);
            if (entries.Length == 0)
            {
                return true;
            }

            var (delivered, parked) = await RelayAsync(bucket, entries, cancellationToken);
            await outbox.RemoveAsync(bucket, delivered);
            if (delivered.Length + parked < entries.Length)
            {
                return false;
            }
        }
    }

    /// <summary>Sends the entries in order; returns the ids Kafka acknowledged and how many were parked.</summary>
    private async Task<(RedisValue[] Delivered, int Parked)> RelayAsync(int bucket, StreamEntry[] entries, CancellationToken cancellationToken)
    {
        var sends = new List<(StreamEntry Entry, Task Delivery)>(entries.Length);
        var parked = 0;
        foreach (var entry in entries)
        {
            if (LockoutOutbox.TryParse(entry, out var message))
            {
                sends.Add((entry, SendAsync(message, cancellationToken)));
            }
            else
            {
                // Only a bug or a stranger with access to Redis could write such an entry; sending it cannot help.
                await ParkAsync(bucket, entry, "The entry is not a lock event (a field is missing or malformed).");
                parked++;
            }
        }

        var delivered = new List<RedisValue>(entries.Length);
        var failures = 0;
        foreach (var (entry, delivery) in sends)
        {
            try
            {
                await delivery;
                delivered.Add(entry.Id);
                _refusals.TryRemove(entry.Id, out _);
            }
            catch (ProduceException<string, byte[]> exception)
            {
                failures++;
                if (failures == 1)
                {
                    LogProduceFailed(logger, exception.Error.Reason);
                }

                if (IsRefusedForGood(entry.Id, exception.Error))
                {
                    await ParkAsync(bucket, entry, $"Kafka refused the event: {exception.Error.Code} ({exception.Error.Reason}).");
                    parked++;
                }
            }
        }

        metrics.EventsRelayed(delivered.Count);
        if (failures > 0)
        {
            metrics.ProduceFailed(failures);
        }

        return ([.. delivered], parked);
    }

    /// <summary>
    /// True when Kafka refused the entry for a reason that will not change: at once for the errors that say so, and
    /// after <see cref="OutboxRelayOptions.ParkAfterRefusals"/> refusals in a row for other errors about the entry
    /// itself. An unreachable broker is never the entry's fault.
    /// </summary>
    private bool IsRefusedForGood(RedisValue entryId, Error error)
    {
        if (BrokerUnavailable.Contains(error.Code))
        {
            return false;
        }

        var refusals = _refusals.AddOrUpdate(entryId, 1, (_, count) => count + 1);
        return RefusedForGood.Contains(error.Code) || refusals >= _options.ParkAfterRefusals;
    }

    private async Task ParkAsync(int bucket, StreamEntry entry, string reason)
    {
        await outbox.ParkAsync(bucket, entry, reason);
        _refusals.TryRemove(entry.Id, out _);
        metrics.EntryParked();
        LogParked(logger, entry.Id.ToString(), bucket, reason);
    }

    private async Task SendAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        // The send span continues the trace of the request that decided the lock, however much later it runs.
        var parent = KafkaTelemetry.ParseTraceParent(message.TraceParent);
        using var activity = KafkaTelemetry.StartSend(LockoutTopics.Events, parent);
        var headers = new Headers();
        KafkaTelemetry.InjectContext(activity?.Context ?? parent, headers);
        // Signed here, as it leaves for Kafka: the writer applies nothing it cannot check came from a relay.
        var value = LockoutEventSerializer.Serialize(message.Event);
        headers.Add(EventSigner.Header, signer.Sign(message.Event.Key, value));

        var result = await producer.ProduceAsync(LockoutTopics.Events, new Message<string, byte[]>
        {
            Key = message.Event.Key,
            Value = value,
            Headers = headers,
            Timestamp = new Timestamp(message.Event.OccurredAt),
        }, cancellationToken);
        KafkaTelemetry.RecordDelivery(activity, result.TopicPartitionOffset);
    }

    private void ObserveDepth(long[] lengths)
    {
        metrics.OutboxDepthObserved(lengths.Sum());
        var fullest = lengths.Length == 0 ? 0 : lengths.Max();
        var nearCapacity = _capacityPerBucket > 0 && fullest >= _capacityPerBucket * 0.8;
        if (nearCapacity && !_nearCapacity)
        {
            LogNearCapacity(logger, fullest, _capacityPerBucket);
        }

        _nearCapacity = nearCapacity;
    }

    private void Wake(int bucket)
    {
        lock (_gate)
        {
            _woken.Add(bucket);
        }

        _wake.Release();
    }

    /// <summary>Waits for a wake-up, the next sweep, or the end of a backoff, whichever comes first.</summary>
    private async Task WaitForWorkAsync(CancellationToken cancellationToken)
    {
        var untilSweep = _nextSweep - clock.GetUtcNow();
        var wait = _backoff > TimeSpan.Zero && _backoff < untilSweep ? _backoff : untilSweep;
        if (_backoff > TimeSpan.Zero)
        {
            await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, clock, cancellationToken);
            return;
        }

        if (wait > TimeSpan.Zero)
        {
            await _wake.WaitAsync(wait, cancellationToken);
        }

        // Several wake-ups may have come in together; one round serves them all.
        while (_wake.CurrentCount > 0)
        {
            await _wake.WaitAsync(0, cancellationToken);
        }
    }

    private TimeSpan NextBackoff(TimeSpan current) =>
        TimeSpan.FromTicks(Math.Min(_options.MaxBackoff.Ticks, Math.Max(TimeSpan.FromMilliseconds(100).Ticks, current.Ticks * 2)));

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kafka did not acknowledge lock events ({Reason}); they stay in the outbox and will be sent again.")]
    private static partial void LogProduceFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "An outbox relay round failed (attempt {Attempt}); the next starts in {DelaySeconds:0.0} s.")]
    private static partial void LogRoundFailed(ILogger logger, int attempt, double delaySeconds, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Outbox entry {EntryId} of bucket {Bucket} was parked: {Reason}")]
    private static partial void LogParked(ILogger logger, string entryId, int bucket, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "An outbox bucket holds {Depth} events of its capacity of {Capacity}: Kafka is not taking them. At the capacity, decisions that would add an event get 503.")]
    private static partial void LogNearCapacity(ILogger logger, long depth, int capacity);
}

using Confluent.Kafka;
using Lockout.Api.Telemetry;
using Lockout.Events;
using Lockout.Kafka;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Lockout.Api.Outbox;

/// <summary>
/// Moves lock events from the Redis outbox to Kafka, in order, and removes each only after Kafka acknowledged it.
/// </summary>
/// <remarks>
/// While Kafka is unreachable the events wait in Redis and logins go on; when it is back, they are sent.
/// A delivery that fails is retried, which may send an event twice: the writer applies each event id once.
/// </remarks>
public sealed partial class OutboxRelay(
    LockoutOutbox outbox,
    IProducer<string, byte[]> producer,
    LockoutApiMetrics metrics,
    IOptions<OutboxRelayOptions> options,
    ILogger<OutboxRelay> logger) : BackgroundService
{
    private readonly OutboxRelayOptions _options = options.Value;
    private readonly string _consumerName = $"{Environment.MachineName}-{Environment.ProcessId}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.Zero;
        var readPending = true;
        var nextClaim = DateTime.MinValue;
        var groupReady = false;

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!groupReady)
                {
                    await outbox.EnsureRelayGroupAsync();
                    groupReady = true;
                }

                if (DateTime.UtcNow >= nextClaim)
                {
                    readPending |= await outbox.ClaimAbandonedAsync(_consumerName, _options.ClaimAfter, _options.BatchSize) > 0;
                    nextClaim = DateTime.UtcNow + _options.ClaimInterval;
                }

                var entries = readPending
                    ? await outbox.ReadPendingAsync(_consumerName, _options.BatchSize)
                    : await outbox.ReadNewAsync(_consumerName, _options.BatchSize);
                metrics.OutboxDepthObserved(await outbox.DepthAsync());

                if (entries.Length == 0)
                {
                    if (readPending)
                    {
                        readPending = false;
                        continue;
                    }

                    await Task.Delay(_options.PollInterval, stoppingToken);
                    continue;
                }

                var delivered = await RelayAsync(entries, stoppingToken);
                await outbox.AcknowledgeAsync(delivered);

                if (delivered.Length < entries.Length)
                {
                    // The rest stay pending in the group: read them again after a pause.
                    readPending = true;
                    backoff = NextBackoff(backoff);
                    await Task.Delay(backoff, stoppingToken);
                }
                else
                {
                    backoff = TimeSpan.Zero;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (RedisException exception)
            {
                // A Redis that restarted without its data has lost the consumer group too: create it again.
                groupReady = false;
                LogRedisUnavailable(logger, exception);
                backoff = NextBackoff(backoff);
                await Task.Delay(backoff, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>Sends the entries in order; returns the ids Kafka acknowledged.</summary>
    private async Task<RedisValue[]> RelayAsync(StreamEntry[] entries, CancellationToken cancellationToken)
    {
        var sends = new List<(RedisValue Id, Task Delivery)>(entries.Length);
        var unreadable = new List<RedisValue>();
        foreach (var entry in entries)
        {
            if (!LockoutOutbox.TryParse(entry, out var message))
            {
                // Only a bug could write such an entry; keeping it would stop the relay for good.
                LogUnreadableEntry(logger, entry.Id.ToString());
                unreadable.Add(entry.Id);
                continue;
            }

            sends.Add((entry.Id, SendAsync(message, cancellationToken)));
        }

        var delivered = new List<RedisValue>(entries.Length);
        delivered.AddRange(unreadable);
        var failures = 0;
        foreach (var (id, delivery) in sends)
        {
            try
            {
                await delivery;
                delivered.Add(id);
            }
            catch (KafkaException exception)
            {
                failures++;
                if (failures == 1)
                {
                    LogProduceFailed(logger, exception.Error.Reason);
                }
            }
        }

        metrics.EventsRelayed(sends.Count - failures);
        if (failures > 0)
        {
            metrics.ProduceFailed(failures);
        }

        return [.. delivered];
    }

    private async Task SendAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        // The send span continues the trace of the request that decided the lock, however much later it runs.
        var parent = KafkaTelemetry.ParseTraceParent(message.TraceParent);
        using var activity = KafkaTelemetry.StartSend(LockoutTopics.Events, parent, message.Event.Username);
        var headers = new Headers();
        KafkaTelemetry.InjectContext(activity?.Context ?? parent, headers);

        var result = await producer.ProduceAsync(LockoutTopics.Events, new Message<string, byte[]>
        {
            Key = message.Event.Username,
            Value = LockoutEventSerializer.Serialize(message.Event),
            Headers = headers,
            Timestamp = new Timestamp(message.Event.OccurredAt),
        }, cancellationToken);
        KafkaTelemetry.RecordDelivery(activity, result.TopicPartitionOffset);
    }

    private TimeSpan NextBackoff(TimeSpan current) =>
        TimeSpan.FromTicks(Math.Min(_options.MaxBackoff.Ticks, Math.Max(TimeSpan.FromMilliseconds(100).Ticks, current.Ticks * 2)));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kafka did not acknowledge lock events ({Reason}); they stay in the outbox and will be sent again.")]
    private static partial void LogProduceFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis is unavailable to the outbox relay; retrying.")]
    private static partial void LogRedisUnavailable(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Outbox entry {EntryId} is not a lock event and was dropped.")]
    private static partial void LogUnreadableEntry(ILogger logger, string entryId);
}

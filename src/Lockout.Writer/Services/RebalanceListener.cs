using Confluent.Kafka;

namespace Lockout.Writer.Services;

/// <summary>
/// Hands the Kafka consumer's rebalance callbacks, which must be set on its builder before the consumer exists, to the
/// <see cref="LockoutEventConsumer"/> that manages the partitions. They run on the consuming thread, inside Consume.
/// </summary>
public sealed class RebalanceListener
{
    internal Action<IReadOnlyList<TopicPartition>>? Assigned { get; set; }

    internal Action<IReadOnlyList<TopicPartition>>? Revoked { get; set; }

    internal Action<IReadOnlyList<TopicPartition>>? Lost { get; set; }

    /// <summary>Sets the three handlers on a consumer builder.</summary>
    public void Attach<TKey, TValue>(ConsumerBuilder<TKey, TValue> builder) => builder
        .SetPartitionsAssignedHandler((_, partitions) => Assigned?.Invoke(partitions))
        .SetPartitionsRevokedHandler((_, partitions) => Revoked?.Invoke([.. partitions.Select(p => p.TopicPartition)]))
        .SetPartitionsLostHandler((_, partitions) => Lost?.Invoke([.. partitions.Select(p => p.TopicPartition)]));
}

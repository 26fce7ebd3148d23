using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Lockout.Events;

namespace Lockout.Writer.Services;

/// <summary>
/// Parks events the writer refuses (unsigned, wrongly signed, unreadable, an impossible version), or the database refuses, on <c>lockout-events.dlq</c>: the original key, value and headers,
/// plus the reason and where the message came from, so nothing is lost and the partition moves on.
/// </summary>
public sealed class DeadLetterPublisher(IProducer<byte[]?, byte[]?> producer)
{
    public const string ReasonHeader = "dlq-reason";
    public const string SourceTopicHeader = "dlq-source-topic";
    public const string SourcePartitionHeader = "dlq-source-partition";
    public const string SourceOffsetHeader = "dlq-source-offset";

    /// <summary>Sends every message and waits until Kafka has acknowledged them all.</summary>
    public Task PublishAsync(IEnumerable<(ConsumeResult<byte[]?, byte[]?> Message, string Reason)> deadLetters, CancellationToken cancellationToken) =>
        Task.WhenAll(deadLetters.Select(deadLetter => PublishAsync(deadLetter.Message, deadLetter.Reason, cancellationToken)));

    private Task<DeliveryResult<byte[]?, byte[]?>> PublishAsync(ConsumeResult<byte[]?, byte[]?> consumed, string reason, CancellationToken cancellationToken)
    {
        var headers = new Headers();
        foreach (var header in consumed.Message.Headers ?? [])
        {
            headers.Add(header.Key, header.GetValueBytes());
        }

        headers.Add(ReasonHeader, Encoding.UTF8.GetBytes(reason));
        headers.Add(SourceTopicHeader, Encoding.UTF8.GetBytes(consumed.Topic));
        headers.Add(SourcePartitionHeader, Encoding.UTF8.GetBytes(consumed.Partition.Value.ToString(CultureInfo.InvariantCulture)));
        headers.Add(SourceOffsetHeader, Encoding.UTF8.GetBytes(consumed.Offset.Value.ToString(CultureInfo.InvariantCulture)));

        return producer.ProduceAsync(LockoutTopics.DeadLetter, new Message<byte[]?, byte[]?>
        {
            Key = consumed.Message.Key,
            Value = consumed.Message.Value,
            Headers = headers,
            Timestamp = consumed.Message.Timestamp,
        }, cancellationToken);
    }
}

using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;

namespace Lockout.Kafka;

/// <summary>
/// Produce and process spans for Kafka, after OpenTelemetry's messaging semantic conventions.
/// </summary>
/// <remarks>
/// Confluent.Kafka has no instrumentation served to us (Aspire uses OpenTelemetry.Instrumentation.ConfluentKafka),
/// so the spans are written here. The W3C trace context travels in the message headers.
/// </remarks>
public static class KafkaTelemetry
{
    public const string ActivitySourceName = "Lockout.Kafka";

    private static readonly ActivitySource Source = new(ActivitySourceName);
    private static readonly TextMapPropagator Propagator = Propagators.DefaultTextMapPropagator;

    /// <summary>
    /// Starts a <c>send</c> span for one message.
    /// </summary>
    /// <param name="parent">The context the message was created in, which may be an earlier request's (an outbox relays later).</param>
    /// <remarks>
    /// The message key is left out on purpose (the conventions' <c>messaging.kafka.message.key</c>): Lockout's keys are
    /// usernames, and traces must not become a list of the accounts under attack.
    /// </remarks>
    public static Activity? StartSend(string topic, ActivityContext parent)
    {
        var activity = Source.StartActivity($"send {topic}", ActivityKind.Producer, parent);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("messaging.system", "kafka");
            activity.SetTag("messaging.operation.type", "send");
            activity.SetTag("messaging.operation.name", "send");
            activity.SetTag("messaging.destination.name", topic);
        }

        return activity;
    }

    /// <summary>Records where a produced message landed.</summary>
    public static void RecordDelivery(Activity? activity, TopicPartitionOffset delivered)
    {
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("messaging.destination.partition.id", delivered.Partition.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
            activity.SetTag("messaging.kafka.offset", delivered.Offset.Value);
        }
    }

    /// <summary>
    /// Starts a <c>process</c> span for one consumed message, as a child of the producer's span.
    /// </summary>
    /// <remarks>
    /// A child, not a link: each message is handled on its own (even when its database write shares a batch),
    /// and a person following one login should see the write inside that login's trace. The conventions allow
    /// either; the batch's own span links to every message instead.
    /// </remarks>
    public static Activity? StartProcess(string topic, Headers? headers, Partition partition, Offset offset, string consumerGroup)
    {
        var parent = ExtractContext(headers);
        var activity = Source.StartActivity($"process {topic}", ActivityKind.Consumer, parent.ActivityContext);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("messaging.system", "kafka");
            activity.SetTag("messaging.operation.type", "process");
            activity.SetTag("messaging.operation.name", "process");
            activity.SetTag("messaging.destination.name", topic);
            activity.SetTag("messaging.consumer.group.name", consumerGroup);
            activity.SetTag("messaging.destination.partition.id", partition.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
            activity.SetTag("messaging.kafka.offset", offset.Value);
        }

        return activity;
    }

    /// <summary>Writes <paramref name="context"/> into the headers as <c>traceparent</c>/<c>tracestate</c>.</summary>
    public static void InjectContext(ActivityContext context, Headers headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        Propagator.Inject(new PropagationContext(context, Baggage.Current), headers,
            static (carrier, key, value) =>
            {
                carrier.Remove(key);
                carrier.Add(key, Encoding.UTF8.GetBytes(value));
            });
    }

    /// <summary>Reads the W3C trace context from the headers; default when there is none.</summary>
    public static PropagationContext ExtractContext(Headers? headers) =>
        Propagator.Extract(default, headers, static (carrier, key) =>
            carrier is not null && carrier.TryGetLastBytes(key, out var value) ? [Encoding.UTF8.GetString(value)] : []);

    /// <summary>Parses a stored W3C <c>traceparent</c>; default when absent or malformed.</summary>
    public static ActivityContext ParseTraceParent(string? traceParent) =>
        ActivityContext.TryParse(traceParent, traceState: null, isRemote: true, out var context) ? context : default;
}

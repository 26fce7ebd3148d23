using System.Text.Json;

namespace Lockout.Kafka;

/// <summary>
/// Reads librdkafka's statistics, the JSON a client hands to its statistics handler every
/// <c>statistics.interval.ms</c>.
/// </summary>
public static class KafkaStatistics
{
    /// <summary>The consumer's lag on <paramref name="topic"/>, summed over its assigned partitions; null when unknown.</summary>
    public static long? ReadConsumerLag(string statisticsJson, string topic)
    {
        using var document = JsonDocument.Parse(statisticsJson);
        if (!document.RootElement.TryGetProperty("topics", out var topics)
            || !topics.TryGetProperty(topic, out var topicStatistics)
            || !topicStatistics.TryGetProperty("partitions", out var partitions))
        {
            return null;
        }

        long total = 0;
        var known = false;
        foreach (var partition in partitions.EnumerateObject())
        {
            // Partition -1 is librdkafka's bookkeeping for unassigned messages; -1 lag means unknown.
            if (partition.Name != "-1" && partition.Value.TryGetProperty("consumer_lag", out var lag) && lag.GetInt64() >= 0)
            {
                total += lag.GetInt64();
                known = true;
            }
        }

        return known ? total : null;
    }
}

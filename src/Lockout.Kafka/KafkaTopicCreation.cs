using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Lockout.Kafka;

/// <summary>Creates topics through Kafka's admin API, once: a topic that already exists is left as it is.</summary>
public static class KafkaTopicCreation
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Creates those of <paramref name="topics"/> that do not exist yet.</summary>
    /// <param name="replicationFactor">Copies of each partition; 1 on a single broker.</param>
    public static async Task CreateAsync(
        string bootstrapServers, IEnumerable<(string Name, int Partitions)> topics, short replicationFactor, CancellationToken cancellationToken)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers }).Build();
        var specifications = topics
            .Select(topic => new TopicSpecification { Name = topic.Name, NumPartitions = topic.Partitions, ReplicationFactor = replicationFactor })
            .ToList();
        try
        {
            await admin.CreateTopicsAsync(specifications, new CreateTopicsOptions { OperationTimeout = Timeout, RequestTimeout = Timeout })
                .WaitAsync(cancellationToken);
        }
        catch (CreateTopicsException exception) when (OnlyAlreadyExisted(exception))
        {
            // Created by an earlier start (a persistent broker): nothing to do.
        }
    }

    /// <summary>True when every topic the request failed for exists already; any other error is a real failure.</summary>
    public static bool OnlyAlreadyExisted(CreateTopicsException exception) =>
        exception.Results.All(result => result.Error.Code is ErrorCode.NoError or ErrorCode.TopicAlreadyExists);
}

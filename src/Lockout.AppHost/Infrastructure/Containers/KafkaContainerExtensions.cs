using Lockout.Events;

namespace Lockout.AppHost.Infrastructure.Containers;

public static class KafkaContainerExtensions
{
    /// <summary>
    /// The Apache project's own image: KRaft is its default, and it needs no licence beyond Apache 2.0
    /// (Aspire's integration uses confluentinc/confluent-local; either works).
    /// </summary>
    public const string Image = "apache/kafka";
    public const string Tag = "4.1.0";
    public const string Registry = "docker.io";

    private const int BrokerPort = 9092;
    private const int InternalBrokerPort = 9093;
    private const int ControllerPort = 9094;

    /// <summary>Adds a single-node Kafka broker container; <c>WaitFor</c> waits until it answers metadata requests.</summary>
    public static IResourceBuilder<KafkaServerResource> AddKafka(this IDistributedApplicationBuilder builder, [ResourceName] string name, int? port = null)
    {
        var kafka = new KafkaServerResource(name);

        return builder.AddResource(kafka)
            .WithEndpoint(targetPort: BrokerPort, port: port, name: KafkaServerResource.PrimaryEndpointName)
            .WithEndpoint(targetPort: InternalBrokerPort, name: KafkaServerResource.InternalEndpointName)
            .WithImage(Image, Tag)
            .WithImageRegistry(Registry)
            .WithEnvironment(context => ConfigureKraft(context, kafka))
            .WithKafkaBrokerHealthCheck();
    }

    private static void ConfigureKraft(EnvironmentCallbackContext context, KafkaServerResource kafka)
    {
        var variables = context.EnvironmentVariables;
        variables["KAFKA_NODE_ID"] = "1";
        variables["KAFKA_PROCESS_ROLES"] = "broker,controller";
        variables["KAFKA_CONTROLLER_QUORUM_VOTERS"] = $"1@localhost:{ControllerPort}";
        variables["KAFKA_CONTROLLER_LISTENER_NAMES"] = "CONTROLLER";
        variables["KAFKA_LISTENERS"] = $"PLAINTEXT://0.0.0.0:{BrokerPort},PLAINTEXT_INTERNAL://0.0.0.0:{InternalBrokerPort},CONTROLLER://0.0.0.0:{ControllerPort}";
        variables["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"] = "PLAINTEXT:PLAINTEXT,PLAINTEXT_INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT";
        variables["KAFKA_INTER_BROKER_LISTENER_NAME"] = "PLAINTEXT_INTERNAL";

        // Host processes reach the broker on the published port; containers by the resource name.
        variables["KAFKA_ADVERTISED_LISTENERS"] = context.ExecutionContext.IsRunMode
            ? ReferenceExpression.Create($"PLAINTEXT://localhost:{kafka.PrimaryEndpoint.Property(EndpointProperty.Port)},PLAINTEXT_INTERNAL://{kafka.Name}:{kafka.InternalEndpoint.Property(EndpointProperty.TargetPort)}")
            : ReferenceExpression.Create($"PLAINTEXT://{kafka.PrimaryEndpoint.Property(EndpointProperty.HostAndPort)},PLAINTEXT_INTERNAL://{kafka.InternalEndpoint.Property(EndpointProperty.HostAndPort)}");

        // One broker: internal topics cannot be replicated, and a local broker has no reason to delay rebalances.
        variables["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] = "1";
        variables["KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"] = "1";
        variables["KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"] = "1";
        variables["KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS"] = "0";
        // lockout-events and its dead-letter topic are created on first use with this many partitions.
        variables["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] = "true";
        variables["KAFKA_NUM_PARTITIONS"] = LockoutTopics.DefaultPartitions.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}

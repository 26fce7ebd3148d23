using Lockout.Kafka;

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

    /// <summary>
    /// Adds a single-node Kafka broker container. <c>WaitFor</c> waits until it answers at the addresses it advertises
    /// and the topics declared on it (<see cref="KafkaTopicAnnotation"/>) exist.
    /// </summary>
    public static IResourceBuilder<KafkaServerResource> AddKafka(this IDistributedApplicationBuilder builder, [ResourceName] string name, int? port = null)
    {
        var kafka = new KafkaServerResource(name);

        // Aspire completes WaitFor only once this handler has returned, so the services start with the topics in place.
        // The AppHost is a host process: the connection string it resolves is the host listener's.
        builder.Eventing.Subscribe<ResourceReadyEvent>(kafka, async (_, cancellationToken) =>
        {
            var bootstrapServers = await kafka.ConnectionStringExpression.GetValueAsync(cancellationToken)
                ?? throw new InvalidOperationException($"The connection string of '{name}' is not available.");
            await KafkaTopicCreation.CreateAsync(bootstrapServers, kafka.DeclaredTopics(), replicationFactor: 1, cancellationToken);
        });

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

        // What the broker tells clients to dial after bootstrap, per listener. The endpoints are pinned to their
        // networks (see KafkaServerResource), so although this value is resolved for the broker container itself,
        // the host listener advertises localhost and the published port (not 9092, the port inside the container)
        // and the internal listener advertises the broker's container-network address.
        variables["KAFKA_ADVERTISED_LISTENERS"] = ReferenceExpression.Create(
            $"PLAINTEXT://{kafka.PrimaryEndpoint.Property(EndpointProperty.HostAndPort)},PLAINTEXT_INTERNAL://{kafka.InternalEndpoint.Property(EndpointProperty.HostAndPort)}");

        // One broker: internal topics cannot be replicated, and a local broker has no reason to delay rebalances.
        variables["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] = "1";
        variables["KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"] = "1";
        variables["KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"] = "1";
        variables["KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS"] = "0";
        // Topics are created at start with the partition counts declared on the resource, never on first use with
        // the broker's default count.
        variables["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] = "false";
    }
}

using Lockout.KafkaMock;

namespace Lockout.AppHost.Infrastructure.Local;

/// <summary>
/// A Kafka-protocol broker running inside the AppHost: librdkafka's mock cluster (no Kafka broker can be
/// installed here). It listens on an ephemeral loopback port, known once it has started.
/// </summary>
public sealed class KafkaMockClusterResource(string name) : Resource(name), IResourceWithConnectionString
{
    private readonly BootstrapServersValue _bootstrapServers = new(name);

    internal MockKafkaCluster? Cluster { get; private set; }

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create($"{_bootstrapServers}");

    internal void Started(MockKafkaCluster cluster)
    {
        Cluster = cluster;
        _bootstrapServers.Set(cluster.BootstrapServers);
    }

    /// <summary>The bootstrap servers, which only exist once the cluster has started.</summary>
    private sealed class BootstrapServersValue(string resourceName) : IValueProvider, IManifestExpressionProvider
    {
        private readonly TaskCompletionSource<string> _value = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string ValueExpression => $"{{{resourceName}.bindings.tcp.host}}:{{{resourceName}.bindings.tcp.port}}";

        public void Set(string bootstrapServers) => _value.TrySetResult(bootstrapServers);

        public async ValueTask<string?> GetValueAsync(CancellationToken cancellationToken = default) =>
            await _value.Task.WaitAsync(cancellationToken);
    }
}

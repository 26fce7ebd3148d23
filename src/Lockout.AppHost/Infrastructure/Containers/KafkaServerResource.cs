namespace Lockout.AppHost.Infrastructure.Containers;

/// <summary>
/// A Kafka broker in a container (KRaft mode, no ZooKeeper), shaped like Aspire.Hosting.Kafka's resource,
/// which is not served to us.
/// </summary>
/// <remarks>
/// A Kafka client bootstraps through one address and then connects to whatever the broker advertises, so each
/// network needs its own listener and its own advertised address. The endpoints are therefore pinned to a network:
/// resolved anywhere (in the broker container's own environment, in a host process's, in a container's), the primary
/// endpoint is what a host process dials (localhost and the published port) and the internal endpoint is what a
/// container dials (the broker's alias on the container network and port 9093).
/// </remarks>
public sealed class KafkaServerResource(string name) : ContainerResource(name), IResourceWithConnectionString
{
    /// <summary>For processes on the host.</summary>
    internal const string PrimaryEndpointName = "tcp";

    /// <summary>For other containers, on the container network.</summary>
    internal const string InternalEndpointName = "internal";

    private EndpointReference? _primaryEndpoint;
    private EndpointReference? _internalEndpoint;

    /// <summary>The host listener, as host processes reach it: localhost and the published port.</summary>
    public EndpointReference PrimaryEndpoint => _primaryEndpoint ??= new(this, PrimaryEndpointName, KnownNetworkIdentifiers.LocalhostNetwork);

    /// <summary>The internal listener, as containers reach it: the broker's alias on the container network.</summary>
    public EndpointReference InternalEndpoint => _internalEndpoint ??= new(this, InternalEndpointName, KnownNetworkIdentifiers.DefaultAspireContainerNetwork);

    /// <summary>
    /// Plain <c>host:port</c>, the bootstrap servers: the host listener for host processes, the internal listener for
    /// containers (whose <c>localhost</c> is not the host's).
    /// </summary>
    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create($"{new BootstrapServers(this)}");

    /// <summary>Picks the listener by the network of whoever resolves the value.</summary>
    private sealed class BootstrapServers(KafkaServerResource kafka) : IValueProvider, IManifestExpressionProvider, IValueWithReferences
    {
        // In a manifest (publish) the primary endpoint's binding stands for the broker, as in Aspire's own resource.
        public string ValueExpression => kafka.PrimaryEndpoint.Property(EndpointProperty.HostAndPort).ValueExpression;

        public IEnumerable<object> References => [kafka.PrimaryEndpoint, kafka.InternalEndpoint];

        public ValueTask<string?> GetValueAsync(CancellationToken cancellationToken = default) =>
            GetValueAsync(new ValueProviderContext(), cancellationToken);

        public ValueTask<string?> GetValueAsync(ValueProviderContext context, CancellationToken cancellationToken = default)
        {
            // Aspire's own rule for the caller's network: the one asked for, else a container's default, else the host's.
            var network = context.Network
                ?? (context.Caller?.IsContainer() == true ? KnownNetworkIdentifiers.DefaultAspireContainerNetwork : KnownNetworkIdentifiers.LocalhostNetwork);
            var endpoint = network == KnownNetworkIdentifiers.DefaultAspireContainerNetwork ? kafka.InternalEndpoint : kafka.PrimaryEndpoint;
            return endpoint.Property(EndpointProperty.HostAndPort).GetValueAsync(context, cancellationToken);
        }
    }
}

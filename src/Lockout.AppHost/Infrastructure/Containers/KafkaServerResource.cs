namespace Lockout.AppHost.Infrastructure.Containers;

/// <summary>
/// A Kafka broker in a container (KRaft mode, no ZooKeeper), shaped like Aspire.Hosting.Kafka's resource,
/// which is not served to us.
/// </summary>
public sealed class KafkaServerResource(string name) : ContainerResource(name), IResourceWithConnectionString
{
    /// <summary>For processes on the host.</summary>
    internal const string PrimaryEndpointName = "tcp";

    /// <summary>For other containers, on the container network.</summary>
    internal const string InternalEndpointName = "internal";

    private EndpointReference? _primaryEndpoint;
    private EndpointReference? _internalEndpoint;

    public EndpointReference PrimaryEndpoint => _primaryEndpoint ??= new(this, PrimaryEndpointName);

    public EndpointReference InternalEndpoint => _internalEndpoint ??= new(this, InternalEndpointName);

    /// <summary>Plain <c>host:port</c>, the bootstrap servers.</summary>
    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{PrimaryEndpoint.Property(EndpointProperty.HostAndPort)}");
}

namespace Lockout.AppHost.Infrastructure.Local;

/// <summary>
/// A <c>redis-server</c> process on loopback, with the connection string shape of Aspire's Redis: the default user's
/// password in it, as Aspire's container has.
/// </summary>
public sealed class LocalRedisResource(string name, string command, string workingDirectory, ParameterResource password)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    internal const string PrimaryEndpointName = "tcp";

    /// <summary>A cluster node's port for the cluster bus (node-to-node gossip and failover).</summary>
    internal const string ClusterBusEndpointName = "bus";

    private EndpointReference? _primaryEndpoint;
    private EndpointReference? _clusterBusEndpoint;

    public EndpointReference PrimaryEndpoint => _primaryEndpoint ??= new(this, PrimaryEndpointName);

    public EndpointReference ClusterBusEndpoint => _clusterBusEndpoint ??= new(this, ClusterBusEndpointName);

    public ParameterResource PasswordParameter { get; } = password;

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{PrimaryEndpoint.Property(EndpointProperty.HostAndPort)},password={PasswordParameter}");

    IEnumerable<KeyValuePair<string, ReferenceExpression>> IResourceWithConnectionString.GetConnectionProperties() =>
    [
        new("Host", ReferenceExpression.Create($"{PrimaryEndpoint.Property(EndpointProperty.Host)}")),
        new("Port", ReferenceExpression.Create($"{PrimaryEndpoint.Property(EndpointProperty.Port)}")),
        new("Password", ReferenceExpression.Create($"{PasswordParameter}")),
        new("Uri", ReferenceExpression.Create($"redis://:{PasswordParameter:uri}@{PrimaryEndpoint.Property(EndpointProperty.HostAndPort)}")),
    ];
}

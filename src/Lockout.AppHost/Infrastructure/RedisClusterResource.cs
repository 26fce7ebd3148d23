namespace Lockout.AppHost.Infrastructure;

/// <summary>
/// A Redis Cluster of primaries, joined by the AppHost at start (local mode: <c>redis-server</c> processes; container
/// mode: containers). Its connection string lists every node, as a client is given a cluster; StackExchange.Redis
/// discovers the slots from any of them.
/// </summary>
public sealed class RedisClusterResource(string name, IReadOnlyList<EndpointReference> nodes, ParameterResource password)
    : Resource(name), IResourceWithConnectionString, IResourceWithWaitSupport
{
    /// <summary>Each node's client endpoint.</summary>
    public IReadOnlyList<EndpointReference> Nodes { get; } = nodes;

    /// <summary>The default user's password, the same on every node.</summary>
    public ParameterResource PasswordParameter { get; } = password;

    /// <summary>Every node's <c>host:port</c>, comma-separated, as a StackExchange.Redis configuration starts.</summary>
    public ReferenceExpression NodesExpression
    {
        get
        {
            var builder = new ReferenceExpressionBuilder();
            for (var i = 0; i < Nodes.Count; i++)
            {
                if (i > 0)
                {
                    builder.AppendLiteral(",");
                }

                builder.Append($"{Nodes[i].Property(EndpointProperty.HostAndPort)}");
            }

            return builder.Build();
        }
    }

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{NodesExpression},password={PasswordParameter}");
}

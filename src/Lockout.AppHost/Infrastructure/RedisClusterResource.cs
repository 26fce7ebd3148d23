namespace Lockout.AppHost.Infrastructure;

/// <summary>
/// A Redis Cluster of primaries, joined by the AppHost at start (local mode: <c>redis-server</c> processes; container
/// mode: containers). Its connection string lists every node, as a client is given a cluster; StackExchange.Redis
/// discovers the slots from any of them.
/// </summary>
public sealed class RedisClusterResource(string name, IReadOnlyList<EndpointReference> nodes)
    : Resource(name), IResourceWithConnectionString, IResourceWithWaitSupport
{
    /// <summary>Each node's client endpoint.</summary>
    public IReadOnlyList<EndpointReference> Nodes { get; } = nodes;

    public ReferenceExpression ConnectionStringExpression
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
}

using Microsoft.Extensions.DependencyInjection;

namespace Lockout.AppHost.Infrastructure;

/// <summary>Registers a <see cref="RedisClusterResource"/> over its nodes, the same in local and container mode.</summary>
public static class RedisClusterBuilderExtensions
{
    /// <summary>
    /// Adds the cluster as a resource that starts in <c>Starting</c> (its creator publishes <c>Running</c> once the nodes
    /// are joined), is healthy when a client can use it, and parents its nodes on the dashboard.
    /// </summary>
    public static IResourceBuilder<RedisClusterResource> AddRedisClusterResource<TNode>(
        this IDistributedApplicationBuilder builder, RedisClusterResource cluster, IEnumerable<IResourceBuilder<TNode>> nodes)
        where TNode : IResource
    {
        var resource = builder.AddResource(cluster)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "RedisCluster",
                State = KnownResourceStates.Starting,
                Properties = [new ResourcePropertySnapshot("redis.shards", cluster.Nodes.Count)],
            })
            .WithIconName("Memory")
            .WithConnectionStringHealthCheck((checks, checkName, connectionString) => checks.AddRedis(_ => connectionString(), name: checkName));
        foreach (var node in nodes)
        {
            node.WithParentRelationship(resource);
        }

        return resource;
    }
}

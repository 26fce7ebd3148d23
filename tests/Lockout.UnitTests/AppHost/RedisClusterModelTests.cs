using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Lockout.AppHost.Infrastructure;
using Lockout.AppHost.Infrastructure.Containers;

namespace Lockout.UnitTests.AppHost;

/// <summary>Container mode's sharded Redis as the app model holds it (no container runtime here to run it).</summary>
public sealed class RedisClusterModelTests
{
    [Fact]
    public void Three_shards_are_three_cluster_mode_redis_containers_joined_by_a_create_container_under_one_redis_resource()
    {
        var app = Builder();
        var infrastructure = app.AddContainerInfrastructure(redisShards: 3);

        var cluster = Assert.IsType<RedisClusterResource>(infrastructure.Redis.Resource);
        Assert.Equal("redis", cluster.Name);
        Assert.Equal(["redis-0", "redis-1", "redis-2"], cluster.Nodes.Select(node => node.Resource.Name));
        var containers = app.Resources.OfType<ContainerResource>().Where(resource => resource.Name.StartsWith("redis-", StringComparison.Ordinal)).ToList();
        Assert.Equal(["redis-0", "redis-1", "redis-2", "redis-create"], containers.Select(container => container.Name).Order());
        Assert.All(containers, container =>
        {
            Assert.True(container.TryGetContainerImageName(out var image));
            Assert.Equal($"{RedisClusterContainerExtensions.Registry}/{RedisClusterContainerExtensions.Image}:{RedisClusterContainerExtensions.Tag}", image);
            Assert.Equal(cluster, Assert.Single(container.Annotations.OfType<ResourceRelationshipAnnotation>(), relationship => relationship.Type == "Parent").Resource);
        });
        Assert.Equal([7000, 7001, 7002], cluster.Nodes.Select(node => node.EndpointAnnotation.Port));
        Assert.Equal(2, cluster.NodesExpression.ValueExpression.Count(character => character == ','));
        Assert.EndsWith(",password={redis-password.value}", cluster.ConnectionStringExpression.ValueExpression, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_shards_in_containers_are_refused_because_redis_cli_cluster_create_needs_three()
    {
        var app = Builder();

        var exception = Assert.Throws<InfrastructureUnavailableException>(() => app.AddContainerInfrastructure(redisShards: 2));

        Assert.Contains("at least 3", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void One_shard_stays_aspires_own_redis()
    {
        var app = Builder();

        Assert.IsType<RedisResource>(app.AddContainerInfrastructure(redisShards: 1).Redis.Resource);
    }

    private static IDistributedApplicationBuilder Builder() =>
        DistributedApplication.CreateBuilder(new DistributedApplicationOptions { DisableDashboard = true });
}

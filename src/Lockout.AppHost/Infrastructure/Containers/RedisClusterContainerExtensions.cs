using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Lockout.AppHost.Infrastructure.Containers;

/// <summary>Container mode's sharded Redis: the shape of local mode's cluster, with containers for nodes.</summary>
public static class RedisClusterContainerExtensions
{
    public const string Image = "redis";
    public const string Tag = "7.4";
    public const string Registry = "docker.io";

    /// <summary>Node <c>i</c> listens on <c>FirstPort + i</c>, its cluster bus on <c>FirstBusPort + i</c>.</summary>
    public const int FirstPort = 7000;
    public const int FirstBusPort = 17000;

    /// <summary>
    /// <paramref name="shards"/> Redis containers with cluster mode on (<c>NAME-0</c>, ...), and a <c>NAME-create</c>
    /// container that joins them with <c>redis-cli --cluster create</c>. The nodes share the host's network: a cluster
    /// tells clients the nodes' own addresses, which must be the same for the services on the host and for the nodes.
    /// </summary>
    /// <exception cref="InfrastructureUnavailableException">Fewer than 3 shards: <c>redis-cli --cluster create</c> refuses them.</exception>
    public static IResourceBuilder<RedisClusterResource> AddRedisClusterContainers(
        this IDistributedApplicationBuilder builder, [ResourceName] string name, int shards)
    {
        if (shards < 3)
        {
            throw new InfrastructureUnavailableException(
                $"Scale:RedisShards is {shards}: in container mode a Redis Cluster needs at least 3 shards (redis-cli --cluster create refuses fewer). Use 1, 3 or more, or Infrastructure:Mode=local.");
        }

        var maxMemory = RedisServerSettings.MaxMemory(builder.Configuration);
        // One default-user password for every node, as Aspire's single Redis container has one.
        var password = ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password", special: false);
        builder.AddResource(password);
        var nodes = Enumerable.Range(0, shards).Select(shard =>
        {
            var port = Invariant(FirstPort + shard);
            return builder.AddContainer($"{name}-{shard}", Image, Tag)
                .WithImageRegistry(Registry)
                .WithContainerRuntimeArgs("--network", "host")
                .WithEndpoint(name: "tcp", port: FirstPort + shard, targetPort: FirstPort + shard, scheme: "tcp", isProxied: false)
                .WithVolume($"{name}-{shard}-data", "/data")
                .WithArgs(["redis-server", "--port", port, "--bind", "127.0.0.1", "--dir", "/data",
                    .. RedisServerSettings.Arguments(maxMemory), .. RedisServerSettings.ClusterNodeArguments(),
                    "--cluster-port", Invariant(FirstBusPort + shard)])
                .WithArgs(context =>
                {
                    context.Args.Add("--requirepass");
                    context.Args.Add(password);
                });
        }).ToList();

        var cluster = new RedisClusterResource(name, [.. nodes.Select(node => node.GetEndpoint("tcp"))], password);
        var create = builder.AddContainer($"{name}-create", Image, Tag)
            .WithImageRegistry(Registry)
            .WithContainerRuntimeArgs("--network", "host")
            .WithEnvironment("REDISCLI_AUTH", password) // redis-cli's password, off the command line
            .WithArgs(["redis-cli", "--cluster", "create", .. nodes.Select((_, shard) => $"127.0.0.1:{FirstPort + shard}"),
                "--cluster-replicas", "0", "--cluster-yes"]);
        foreach (var node in nodes)
        {
            create.WaitFor(node);
        }

        builder.Eventing.Subscribe<InitializeResourceEvent>(cluster, (@event, cancellationToken) =>
        {
            var stopping = @event.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            _ = Task.Run(async () =>
            {
                // Running once the nodes are joined; the health check then waits for cluster_state:ok.
                await @event.Notifications.WaitForResourceAsync(create.Resource.Name, KnownResourceStates.TerminalStates, stopping);
                await @event.Eventing.PublishAsync(new ConnectionStringAvailableEvent(cluster, @event.Services), stopping);
                await @event.Eventing.PublishAsync(new BeforeResourceStartedEvent(cluster, @event.Services), stopping);
                await @event.Notifications.PublishUpdateAsync(cluster, snapshot => snapshot with
                {
                    State = KnownResourceStates.Running,
                    StartTimeStamp = DateTime.UtcNow,
                });
            }, stopping);
            return Task.CompletedTask;
        });

        var resource = builder.AddRedisClusterResource(cluster, nodes);

        create.WithParentRelationship(resource);
        return resource;
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}

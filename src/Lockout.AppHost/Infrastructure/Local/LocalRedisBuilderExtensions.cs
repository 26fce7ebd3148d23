using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lockout.AppHost.Infrastructure.Local;

/// <summary>Adds local mode's Redis: one <see cref="LocalRedisResource"/>, or a <see cref="RedisClusterResource"/> of several.</summary>
public static partial class LocalRedisBuilderExtensions
{
    /// <summary>
    /// A <c>redis-server</c> on loopback, keeping an append-only file in the run's data folder (see
    /// <see cref="RedisServerSettings"/>). Its default user has a generated password (<c>{name}-password</c>), as in
    /// Aspire's container; the services' own users are added by <see cref="RedisLoginExtensions"/>.
    /// </summary>
    public static IResourceBuilder<LocalRedisResource> AddLocalRedis(
        this IDistributedApplicationBuilder builder, [ResourceName] string name, LocalToolchain toolchain, LocalDataFolder data) =>
        builder.AddLocalRedisServer(name, toolchain, data.Redis, builder.AddDefaultUserPassword(name), clusterNode: false)
            .WithConnectionStringHealthCheck((checks, checkName, connectionString) => checks.AddRedis(_ => connectionString(), name: checkName));

    /// <summary>
    /// A Redis Cluster of <paramref name="shards"/> primaries (<c>NAME-0</c>, <c>NAME-1</c>, ...), each a <c>redis-server</c> with
    /// cluster mode on and the same persistence and memory settings as the single server, its files in its own folder.
    /// Once every node runs, the AppHost spreads the 16,384 slots evenly over them and has them meet; the cluster
    /// resource is healthy when the cluster says <c>cluster_state:ok</c>.
    /// </summary>
    public static IResourceBuilder<RedisClusterResource> AddLocalRedisCluster(
        this IDistributedApplicationBuilder builder, [ResourceName] string name, int shards, LocalToolchain toolchain, LocalDataFolder data)
    {
        // One default-user password for every node: the cluster is one Redis to its clients.
        var password = builder.AddDefaultUserPassword(name);
        var nodes = Enumerable.Range(0, shards)
            .Select(shard =>
            {
                var directory = Path.Combine(data.Redis, shard.ToString(CultureInfo.InvariantCulture));
                Directory.CreateDirectory(directory);
                return builder.AddLocalRedisServer($"{name}-{shard}", toolchain, directory, password, clusterNode: true);
            })
            .ToList();
        var cluster = new RedisClusterResource(name, [.. nodes.Select(node => node.Resource.PrimaryEndpoint)], password);

        builder.Eventing.Subscribe<InitializeResourceEvent>(cluster, (@event, cancellationToken) =>
        {
            // The nodes start after this returns: join them in the background, then say the cluster runs.
            var stopping = @event.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            _ = Task.Run(() => CreateClusterAsync(cluster, [.. nodes.Select(node => node.Resource)], toolchain, @event, stopping), stopping);
            return Task.CompletedTask;
        });

        var resource = builder.AddRedisClusterResource(cluster, nodes);

        return resource;
    }

    private static ParameterResource AddDefaultUserPassword(this IDistributedApplicationBuilder builder, string name)
    {
        var password = ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password", special: false);
        builder.AddResource(password);
        return password;
    }

    private static IResourceBuilder<LocalRedisResource> AddLocalRedisServer(
        this IDistributedApplicationBuilder builder, string name, LocalToolchain toolchain, string directory, ParameterResource password, bool clusterNode)
    {
        var redis = new LocalRedisResource(name, toolchain.RedisServer, directory, password);

        var port = redis.PrimaryEndpoint.Property(EndpointProperty.TargetPort);
        var busPort = redis.ClusterBusEndpoint.Property(EndpointProperty.TargetPort);
        var server = builder.AddResource(redis)
            // Not proxied: the login path's every request goes to Redis, and a proxy would sit in each round trip.
            .WithEndpoint(name: LocalRedisResource.PrimaryEndpointName, scheme: "tcp", isProxied: false)
            .WithArgs(async context =>
            {
                context.Args.Add("--port");
                context.Args.Add(port);
                context.Args.Add("--bind");
                context.Args.Add("127.0.0.1");
                context.Args.Add("-::1"); // IPv6 loopback if the machine has it ("localhost" may resolve to either)
                context.Args.Add("--dir");
                context.Args.Add(directory);
                foreach (var argument in RedisServerSettings.Arguments(RedisServerSettings.MaxMemory(builder.Configuration)))
                {
                    context.Args.Add(argument);
                }

                // A hash on the command line, which every local user can read; the password itself stays in the AppHost.
                var value = await password.GetValueAsync(context.CancellationToken)
                    ?? throw new InvalidOperationException($"The parameter '{password.Name}' has no value.");
                foreach (var argument in RedisUsers.DefaultUserArguments(value))
                {
                    context.Args.Add(argument);
                }

                if (clusterNode)
                {
                    // The bus port is allocated like the client port: the default (port + 10,000) may not exist.
                    foreach (var argument in RedisServerSettings.ClusterNodeArguments())
                    {
                        context.Args.Add(argument);
                    }

                    context.Args.Add("--cluster-port");
                    context.Args.Add(busPort);
                }
            })
            .WithIconName("Memory");
        return clusterNode
            ? server.WithEndpoint(name: LocalRedisResource.ClusterBusEndpointName, scheme: "tcp", isProxied: false)
            : server;
    }

    private static async Task CreateClusterAsync(
        RedisClusterResource cluster, IReadOnlyList<LocalRedisResource> clusterNodes, LocalToolchain toolchain, InitializeResourceEvent @event, CancellationToken cancellationToken)
    {
        var logger = @event.Logger;
        try
        {
            foreach (var node in clusterNodes)
            {
                await @event.Notifications.WaitForResourceAsync(node.Name, KnownResourceStates.Running, cancellationToken);
            }

            var nodes = clusterNodes.Select(node => (Port: node.PrimaryEndpoint.Port, BusPort: node.ClusterBusEndpoint.Port)).ToList();
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(TimeSpan.FromMinutes(1));
            var password = await cluster.PasswordParameter.GetValueAsync(cancellationToken)
                ?? throw new InvalidOperationException($"The parameter '{cluster.PasswordParameter.Name}' has no value.");
            var redisCli = new RedisCli(toolchain.RedisCli, password, logger);

            foreach (var (port, _) in nodes)
            {
                await redisCli.UntilAsync(port, ["PING"], reply => reply == "PONG", deadline.Token);
            }

            if (!ClusterIsOk(await redisCli.RunAsync(nodes[0].Port, ["CLUSTER", "INFO"], deadline.Token), nodes.Count))
            {
                for (var i = 0; i < nodes.Count; i++)
                {
                    var (first, last) = RedisServerSettings.SlotRange(i, nodes.Count);
                    await redisCli.RunAsync(nodes[i].Port, ["CLUSTER", "ADDSLOTSRANGE", Invariant(first), Invariant(last)], deadline.Token);
                }

                for (var i = 1; i < nodes.Count; i++)
                {
                    await redisCli.RunAsync(nodes[i].Port, ["CLUSTER", "MEET", "127.0.0.1", Invariant(nodes[0].Port), Invariant(nodes[0].BusPort)], deadline.Token);
                }
            }

            foreach (var (port, _) in nodes)
            {
                await redisCli.UntilAsync(port, ["CLUSTER", "INFO"], reply => ClusterIsOk(reply, nodes.Count), deadline.Token);
            }

            LogClusterReady(logger, nodes.Count);
            await @event.Eventing.PublishAsync(new ConnectionStringAvailableEvent(cluster, @event.Services), cancellationToken);
            await @event.Eventing.PublishAsync(new BeforeResourceStartedEvent(cluster, @event.Services), cancellationToken);
            await @event.Notifications.PublishUpdateAsync(cluster, snapshot => snapshot with
            {
                State = KnownResourceStates.Running,
                StartTimeStamp = DateTime.UtcNow,
            });
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception exception)
        {
            LogClusterFailed(logger, exception);
            await @event.Notifications.PublishUpdateAsync(cluster, snapshot => snapshot with { State = KnownResourceStates.FailedToStart });
        }
    }

    /// <summary>True when <c>CLUSTER INFO</c> says the cluster serves every slot and this node knows all <paramref name="nodes"/>.</summary>
    private static bool ClusterIsOk(string clusterInfo, int nodes)
    {
        var fields = clusterInfo.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(':', 2))
            .Where(pair => pair.Length == 2)
            .ToDictionary(pair => pair[0], pair => pair[1]);
        return fields.GetValueOrDefault("cluster_state") == "ok" && fields.GetValueOrDefault("cluster_known_nodes") == Invariant(nodes);
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Runs <c>redis-cli</c> against a node on loopback.</summary>
    private sealed class RedisCli(string program, string password, ILogger logger)
    {
        public async Task<string> RunAsync(int port, IReadOnlyList<string> command, CancellationToken cancellationToken)
        {
            // The password goes in the environment (REDISCLI_AUTH), not on a command line other users can read.
            var result = await ToolProcess.RunAsync(
                program, ["-h", "127.0.0.1", "-p", Invariant(port), .. command], cancellationToken, new Dictionary<string, string> { ["REDISCLI_AUTH"] = password });
            var reply = result.Output.Trim();
            if (result.ExitCode != 0 || reply.StartsWith("ERR", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"redis-cli {string.Join(' ', command)} on port {port} failed: {reply} {result.Errors}".Trim());
            }

            return reply;
        }

        /// <summary>Repeats a command until its reply satisfies <paramref name="done"/>.</summary>
        public async Task UntilAsync(int port, IReadOnlyList<string> command, Func<string, bool> done, CancellationToken cancellationToken)
        {
            while (true)
            {
                try
                {
                    if (done(await RunAsync(port, command, cancellationToken)))
                    {
                        return;
                    }
                }
                catch (InvalidOperationException exception)
                {
                    LogNotYet(logger, port, exception.Message);
                }

                await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis Cluster of {Nodes} primaries ready (cluster_state:ok).")]
    private static partial void LogClusterReady(ILogger logger, int nodes);

    [LoggerMessage(Level = LogLevel.Error, Message = "The Redis Cluster could not be created.")]
    private static partial void LogClusterFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Redis node on port {Port} not ready yet: {Reason}")]
    private static partial void LogNotYet(ILogger logger, int port, string reason);
}

using Microsoft.Extensions.DependencyInjection;

namespace Lockout.AppHost.Infrastructure.Local;

/// <summary>Adds a <see cref="LocalRedisResource"/>: local mode's Redis.</summary>
public static class LocalRedisBuilderExtensions
{
    /// <summary>A <c>redis-server</c> on loopback, keeping an append-only file in the run's data folder (see <see cref="RedisServerSettings"/>).</summary>
    public static IResourceBuilder<LocalRedisResource> AddLocalRedis(
        this IDistributedApplicationBuilder builder, [ResourceName] string name, LocalToolchain toolchain, LocalDataFolder data)
    {
        var redis = new LocalRedisResource(name, toolchain.RedisServer, data.Redis);

        var port = redis.PrimaryEndpoint.Property(EndpointProperty.TargetPort);
        return builder.AddResource(redis)
            // Not proxied: the login path's every request goes to Redis, and a proxy would sit in each round trip.
            .WithEndpoint(name: LocalRedisResource.PrimaryEndpointName, scheme: "tcp", isProxied: false)
            .WithArgs(context =>
            {
                context.Args.Add("--port");
                context.Args.Add(port);
                context.Args.Add("--bind");
                context.Args.Add("127.0.0.1");
                context.Args.Add("-::1"); // IPv6 loopback if the machine has it ("localhost" may resolve to either)
                context.Args.Add("--dir");
                context.Args.Add(data.Redis);
                foreach (var argument in RedisServerSettings.Arguments(RedisServerSettings.MaxMemory(builder.Configuration)))
                {
                    context.Args.Add(argument);
                }
            })
            .WithIconName("Memory")
            .WithConnectionStringHealthCheck((checks, checkName, connectionString) => checks.AddRedis(_ => connectionString(), name: checkName));
    }
}

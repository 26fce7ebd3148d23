using Microsoft.Extensions.DependencyInjection;

namespace Lockout.AppHost.Infrastructure.Local;

/// <summary>Adds a <see cref="LocalRedisResource"/>: local mode's Redis.</summary>
public static class LocalRedisBuilderExtensions
{
    /// <summary>
    /// A <c>redis-server</c> on loopback, keeping an append-only file in the run's data folder (see
    /// <see cref="RedisServerSettings"/>), with a generated password as Aspire's Redis container has.
    /// </summary>
    public static IResourceBuilder<LocalRedisResource> AddLocalRedis(
        this IDistributedApplicationBuilder builder, [ResourceName] string name, LocalToolchain toolchain, LocalDataFolder data)
    {
        var password = ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password", special: false);
        builder.AddResource(password);
        var redis = new LocalRedisResource(name, toolchain.RedisServer, data.Redis, password);

        // The password goes in a config file only its owner reads, not on the command line where `ps` shows it.
        var configFile = Path.Combine(data.Redis, "redis.conf");
        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(redis, async (_, cancellationToken) =>
        {
            var value = await password.GetValueAsync(cancellationToken)
                ?? throw new InvalidOperationException("The Redis password parameter has no value.");
            await File.WriteAllTextAsync(configFile, "", cancellationToken);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(configFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            await File.WriteAllTextAsync(configFile, $"requirepass {value}\n", cancellationToken);
        });

        var port = redis.PrimaryEndpoint.Property(EndpointProperty.TargetPort);
        return builder.AddResource(redis)
            // Not proxied: the login path's every request goes to Redis, and a proxy would sit in each round trip.
            .WithEndpoint(name: LocalRedisResource.PrimaryEndpointName, scheme: "tcp", isProxied: false)
            .WithArgs(context =>
            {
                context.Args.Add(configFile); // a config file must be redis-server's first argument
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

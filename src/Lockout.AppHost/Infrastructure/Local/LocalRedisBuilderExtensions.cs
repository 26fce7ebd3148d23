using Microsoft.Extensions.DependencyInjection;

namespace Lockout.AppHost.Infrastructure.Local;

/// <summary>Adds a <see cref="LocalRedisResource"/>: local mode's Redis.</summary>
public static class LocalRedisBuilderExtensions
{
    /// <summary>
    /// A <c>redis-server</c> on loopback, keeping an append-only file in the run's data folder (see
    /// <see cref="RedisServerSettings"/>). Its default user has a generated password (<c>{name}-password</c>), as in
    /// Aspire's container; the services' own users are added by <see cref="RedisLoginExtensions"/>.
    /// </summary>
    public static IResourceBuilder<LocalRedisResource> AddLocalRedis(
        this IDistributedApplicationBuilder builder, [ResourceName] string name, LocalToolchain toolchain, LocalDataFolder data)
    {
        var password = ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password", special: false);
        builder.AddResource(password);
        var redis = new LocalRedisResource(name, toolchain.RedisServer, data.Redis, password);

        var port = redis.PrimaryEndpoint.Property(EndpointProperty.TargetPort);
        return builder.AddResource(redis)
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
                context.Args.Add(data.Redis);
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
            })
            .WithIconName("Memory")
            .WithConnectionStringHealthCheck((checks, checkName, connectionString) => checks.AddRedis(_ => connectionString(), name: checkName));
    }
}

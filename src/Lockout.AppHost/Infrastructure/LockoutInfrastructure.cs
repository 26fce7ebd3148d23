using Lockout.AppHost.Infrastructure.Containers;
using Lockout.AppHost.Infrastructure.Local;
using Microsoft.Extensions.DependencyInjection;

namespace Lockout.AppHost.Infrastructure;

/// <summary>
/// Redis, Kafka and the <c>lockoutdb</c> database, whichever way they run: same names, same connection-string
/// shapes, so the services cannot tell the modes apart.
/// </summary>
public sealed record LockoutInfrastructure(
    IResourceBuilder<IResourceWithConnectionString> Redis,
    IResourceBuilder<IResourceWithConnectionString> Kafka,
    IResourceBuilder<IResourceWithConnectionString> Database);

public static class LockoutInfrastructureExtensions
{
    public const string RedisName = "redis";
    public const string KafkaName = "kafka";
    public const string PostgresName = "postgres";
    public const string DatabaseName = "lockoutdb";

    /// <summary>Adds the infrastructure in the mode <c>Infrastructure:Mode</c> asks for (default auto).</summary>
    /// <param name="redisShards">Redis primaries: one is a plain server, more a Redis Cluster.</param>
    /// <exception cref="InfrastructureUnavailableException">That mode cannot run on this machine.</exception>
    public static LockoutInfrastructure AddLockoutInfrastructure(this IDistributedApplicationBuilder builder, int redisShards = 1)
    {
        var requested = InfrastructureModeSelector.Parse(builder.Configuration[InfrastructureModeSelector.ConfigurationKey]);
        var (mode, toolchain) = InfrastructureModeSelector.Select(
            requested,
            ContainerRuntimeProbe.IsAvailable,
            () => (LocalToolchain.Find(out var missing), missing));

        return mode == InfrastructureMode.Containers
            ? builder.AddContainerInfrastructure(redisShards)
            : builder.AddLocalInfrastructure(toolchain!, redisShards);
    }

    public static LockoutInfrastructure AddContainerInfrastructure(this IDistributedApplicationBuilder builder, int redisShards = 1)
    {
        IResourceBuilder<IResourceWithConnectionString> redis = redisShards == 1
            ? builder.AddRedis(RedisName)
            : builder.AddRedisClusterContainers(RedisName, redisShards);
        var kafka = builder.AddKafka(KafkaName);
        var database = builder.AddPostgres(PostgresName).AddDatabase(DatabaseName);
        return new LockoutInfrastructure(redis, kafka, database);
    }

    public static LockoutInfrastructure AddLocalInfrastructure(this IDistributedApplicationBuilder builder, LocalToolchain toolchain, int redisShards = 1)
    {
        var data = LocalDataFolder.Create(builder.AppHostDirectory);
        builder.Services.AddHostedService(_ => new LocalDataFolderCleanup(data));

        IResourceBuilder<IResourceWithConnectionString> redis = redisShards == 1
            ? builder.AddLocalRedis(RedisName, toolchain, data)
            : builder.AddLocalRedisCluster(RedisName, redisShards, toolchain, data);
        var kafka = builder.AddKafkaMockCluster(KafkaName);
        var database = builder.AddLocalPostgres(PostgresName, toolchain, data).AddDatabase(DatabaseName);
        return new LockoutInfrastructure(redis, kafka, database);
    }
}

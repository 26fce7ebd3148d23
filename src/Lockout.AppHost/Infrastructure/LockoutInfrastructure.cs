using Lockout.AppHost.Infrastructure.Containers;
using Lockout.AppHost.Infrastructure.Local;
using Lockout.KafkaMock;
using Microsoft.Extensions.DependencyInjection;

namespace Lockout.AppHost.Infrastructure;

/// <summary>
/// Redis, Kafka and the <c>lockoutdb</c> database, whichever way they run: same names, same connection-string
/// shapes, so the services cannot tell the modes apart.
/// </summary>
/// <param name="Database">The administrator's connection to <c>lockoutdb</c>: for its health check and the database
/// manager only; the services get their roles' logins (<see cref="DatabaseLoginExtensions"/>).</param>
/// <param name="DatabaseEndpoint">Where the PostgreSQL server listens, for those logins.</param>
/// <param name="ConsumerFetchWaitMaxMs">The <c>fetch.wait.max.ms</c> this broker needs its consumers to use, or null for
/// librdkafka's default (a real broker); see <see cref="MockKafkaCluster.ConsumerFetchWaitMaxMs"/>.</param>
public sealed record LockoutInfrastructure(
    IResourceBuilder<IResourceWithConnectionString> Redis,
    IResourceBuilder<IResourceWithConnectionString> Kafka,
    IResourceBuilder<IResourceWithConnectionString> Database,
    EndpointReference DatabaseEndpoint,
    int? ConsumerFetchWaitMaxMs = null);

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
        var (mode, toolchain, runtime) = InfrastructureModeSelector.Select(
            requested,
            ContainerRuntimeProbe.Candidates(builder.Configuration),
            runtime => ContainerRuntimeProbe.Answers(runtime),
            () => (LocalToolchain.Find(out var missing), missing));

        if (mode == InfrastructureMode.Local)
        {
            return builder.AddLocalInfrastructure(toolchain!, redisShards);
        }

        // Aspire then runs the containers with the runtime that answered (it reads the same key), Podman included.
        builder.Configuration[ContainerRuntimeProbe.ConfigurationKey] = runtime;
        return builder.AddContainerInfrastructure(redisShards);
    }

    public static LockoutInfrastructure AddContainerInfrastructure(this IDistributedApplicationBuilder builder, int redisShards = 1)
    {
        IResourceBuilder<IResourceWithConnectionString> redis = redisShards == 1
            ? builder.AddRedis(RedisName).WithArgs(RedisServerSettings.ShellArguments(RedisServerSettings.MaxMemory(builder.Configuration)))
            : builder.AddRedisClusterContainers(RedisName, redisShards);
        var kafka = builder.AddKafka(KafkaName).WithLockoutTopics();
        var postgres = builder.AddPostgres(PostgresName);
        var database = postgres.AddDatabase(DatabaseName);
        return new LockoutInfrastructure(redis, kafka, database, postgres.Resource.PrimaryEndpoint);
    }

    public static LockoutInfrastructure AddLocalInfrastructure(this IDistributedApplicationBuilder builder, LocalToolchain toolchain, int redisShards = 1)
    {
        var data = LocalDataFolder.Create(builder.AppHostDirectory);
        builder.Services.AddHostedService(_ => new LocalDataFolderCleanup(data));

        IResourceBuilder<IResourceWithConnectionString> redis = redisShards == 1
            ? builder.AddLocalRedis(RedisName, toolchain, data)
            : builder.AddLocalRedisCluster(RedisName, redisShards, toolchain, data);
        var kafka = builder.AddKafkaMockCluster(KafkaName).WithLockoutTopics();
        var postgres = builder.AddLocalPostgres(PostgresName, toolchain, data);
        var database = postgres.AddDatabase(DatabaseName);
        return new LockoutInfrastructure(redis, kafka, database, postgres.Resource.PrimaryEndpoint, MockKafkaCluster.ConsumerFetchWaitMaxMs);
    }
}

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
    /// <exception cref="InfrastructureUnavailableException">That mode cannot run on this machine.</exception>
    public static LockoutInfrastructure AddLockoutInfrastructure(this IDistributedApplicationBuilder builder)
    {
        var requested = InfrastructureModeSelector.Parse(builder.Configuration[InfrastructureModeSelector.ConfigurationKey]);
        var (mode, toolchain, runtime) = InfrastructureModeSelector.Select(
            requested,
            ContainerRuntimeProbe.Candidates(builder.Configuration),
            runtime => ContainerRuntimeProbe.Answers(runtime),
            () => (LocalToolchain.Find(out var missing), missing));

        if (mode == InfrastructureMode.Local)
        {
            return builder.AddLocalInfrastructure(toolchain!);
        }

        // Aspire then runs the containers with the runtime that answered (it reads the same key), Podman included.
        builder.Configuration[ContainerRuntimeProbe.ConfigurationKey] = runtime;
        return builder.AddContainerInfrastructure();
    }

    public static LockoutInfrastructure AddContainerInfrastructure(this IDistributedApplicationBuilder builder)
    {
        var redis = builder.AddRedis(RedisName)
            .WithArgs(RedisServerSettings.ShellArguments(RedisServerSettings.MaxMemory(builder.Configuration)));
        var kafka = builder.AddKafka(KafkaName).WithLockoutTopics();
        var database = builder.AddPostgres(PostgresName).AddDatabase(DatabaseName);
        return new LockoutInfrastructure(redis, kafka, database);
    }

    public static LockoutInfrastructure AddLocalInfrastructure(this IDistributedApplicationBuilder builder, LocalToolchain toolchain)
    {
        var data = LocalDataFolder.Create(builder.AppHostDirectory);
        builder.Services.AddHostedService(_ => new LocalDataFolderCleanup(data));

        var redis = builder.AddLocalRedis(RedisName, toolchain, data);
        var kafka = builder.AddKafkaMockCluster(KafkaName).WithLockoutTopics();
        var database = builder.AddLocalPostgres(PostgresName, toolchain, data).AddDatabase(DatabaseName);
        return new LockoutInfrastructure(redis, kafka, database);
    }
}

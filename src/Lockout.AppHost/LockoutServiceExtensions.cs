using System.Globalization;
using Lockout.AppHost.Infrastructure;

namespace Lockout.AppHost;

/// <summary>Lockout's own services, in as many instances as <see cref="ServiceScale"/> asks for.</summary>
public static class LockoutServiceExtensions
{
    /// <summary>The port users are told (the seed's); with several API instances the gateway's.</summary>
    public const int ApiPort = 8080;

    /// <summary>With several API instances, instance <c>i</c> listens on <c>FirstInstancePort + i</c>.</summary>
    public const int FirstInstancePort = 8081;

    /// <summary>
    /// The writers: one named <c>writer</c>, or <c>writer-0</c>, <c>writer-1</c>, ... in one consumer group, which spreads
    /// the topic's partitions over them and moves a writer's partitions to the others when it stops.
    /// </summary>
    public static IReadOnlyList<IResourceBuilder<ProjectResource>> AddWriters(
        this IDistributedApplicationBuilder builder, int replicas, LockoutServiceInputs inputs) =>
        [.. InstanceNames("writer", replicas).Select(name =>
        {
            var writer = builder.AddProject<Projects.Lockout_Writer>(name)
                .WithReference(inputs.Infrastructure.Kafka).WaitFor(inputs.Infrastructure.Kafka)
                .WithReference(inputs.DatabaseLogins.Writer, LockoutInfrastructureExtensions.DatabaseName).WaitForCompletion(inputs.DatabaseManager)
                .WithEnvironment("Lockout__Events__SigningKey", inputs.EventSigningKey)
                .WithHttpHealthCheck("/health");
            if (inputs.Infrastructure.ConsumerFetchWaitMaxMs is { } fetchWait)
            {
                writer.WithEnvironment("Aspire__Confluent__Kafka__Consumer__Config__FetchWaitMaxMs", fetchWait.ToString(CultureInfo.InvariantCulture));
            }

            // Several writers cannot share the launch profile's port; each gets one of its own.
            return replicas == 1 ? writer : writer.WithEndpoint("http", endpoint => endpoint.Port = null);
        })];

    /// <summary>
    /// The API: one instance named <c>api</c> listening on 8080 itself, or <c>api-0</c>, <c>api-1</c>, ... on 8081, 8082, ...
    /// behind a <c>gateway</c> on 8080 that spreads requests round-robin over the instances alive.
    /// </summary>
    public static IReadOnlyList<IResourceBuilder<ProjectResource>> AddApi(
        this IDistributedApplicationBuilder builder, int replicas, LockoutServiceInputs inputs)
    {
        var instances = InstanceNames("api", replicas).Select((name, index) =>
        {
            var api = builder.AddProject<Projects.Lockout_Api>(name)
                .WithReference(inputs.RedisLogins.Api, LockoutInfrastructureExtensions.RedisName).WaitFor(inputs.Infrastructure.Redis)
                .WithReference(inputs.RedisLogins.Relay, RedisLoginExtensions.RelayConnectionName)
                .WithReference(inputs.Infrastructure.Kafka).WaitFor(inputs.Infrastructure.Kafka)
                .WithReference(inputs.DatabaseLogins.Api, LockoutInfrastructureExtensions.DatabaseName).WaitForCompletion(inputs.DatabaseManager)
                .WithEnvironment("Lockout__AdminApiKey", inputs.AdminApiKey)
                .WithEnvironment("Lockout__Events__SigningKey", inputs.EventSigningKey)
                .WithEnvironment("Lockout__Policy__Smart__PasswordTagKey", inputs.PasswordTagKey)
                // Kestrel itself listens (on 8080 for a single instance, the seed's port), with no proxy in front of every login.
                .WithEndpoint("http", endpoint =>
                {
                    endpoint.IsProxied = false;
                    if (replicas > 1)
                    {
                        endpoint.Port = FirstInstancePort + index;
                        endpoint.TargetPort = FirstInstancePort + index;
                    }
                })
                .WithHttpHealthCheck("/health");
            foreach (var (operatorName, key) in inputs.Operators)
            {
                api.WithEnvironment($"Lockout__Admin__Operators__{operatorName}", key);
            }

            return api;
        }).ToList();

        if (replicas > 1)
        {
            var gateway = builder.AddProject<Projects.Lockout_Gateway>("gateway")
                .WithEndpoint("http", endpoint => endpoint.IsProxied = false)
                .WithHttpHealthCheck("/health");
            foreach (var api in instances)
            {
                gateway.WithEnvironment($"ReverseProxy__Clusters__api__Destinations__{api.Resource.Name}__Address", api.GetEndpoint("http"))
                    .WaitFor(api);
            }
        }

        return instances;
    }

    private static IEnumerable<string> InstanceNames(string name, int replicas) =>
        replicas == 1 ? [name] : Enumerable.Range(0, replicas).Select(index => $"{name}-{index.ToString(CultureInfo.InvariantCulture)}");
}

/// <summary>What every instance of the API and the writer is given: the infrastructure, its own database login (ready
/// once the database manager has run), and the secrets.</summary>
public sealed record LockoutServiceInputs(
    LockoutInfrastructure Infrastructure,
    DatabaseLogins DatabaseLogins,
    IResourceBuilder<ProjectResource> DatabaseManager,
    RedisLogins RedisLogins,
    IResourceBuilder<ParameterResource> AdminApiKey,
    IResourceBuilder<ParameterResource> EventSigningKey,
    IResourceBuilder<ParameterResource> PasswordTagKey,
    IReadOnlyDictionary<string, IResourceBuilder<ParameterResource>> Operators);

using Lockout.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Lockout.AppHost.Infrastructure;

/// <summary>
/// The step each resource here shares with Aspire's own integrations: capture the resource's connection string once
/// it is available, and register a health check that uses it, so that <c>WaitFor</c> means "it answers".
/// </summary>
public static class ConnectionStringHealthCheckExtensions
{
    /// <summary>Registers a health check named <c>{resource}_check</c> on the resource's connection string.</summary>
    /// <param name="addHealthCheck">
    /// Registers the check under the name it is given; the function it is given returns the connection string
    /// (and throws until the resource has published it).
    /// </param>
    public static IResourceBuilder<T> WithConnectionStringHealthCheck<T>(
        this IResourceBuilder<T> resource, Action<IHealthChecksBuilder, string, Func<string>> addHealthCheck)
        where T : IResourceWithConnectionString
    {
        var name = resource.Resource.Name;
        string? connectionString = null;
        resource.ApplicationBuilder.Eventing.Subscribe<ConnectionStringAvailableEvent>(resource.Resource, async (_, cancellationToken) =>
            connectionString = await resource.Resource.ConnectionStringExpression.GetValueAsync(cancellationToken));

        var healthCheckKey = $"{name}_check";
        addHealthCheck(
            resource.ApplicationBuilder.Services.AddHealthChecks(),
            healthCheckKey,
            () => connectionString ?? throw new InvalidOperationException($"The connection string of '{name}' is not available yet."));
        return resource.WithHealthCheck(healthCheckKey);
    }

    /// <summary>A broker check for a Kafka resource (its connection string is the bootstrap servers), one admin client for all runs.</summary>
    public static IResourceBuilder<T> WithKafkaBrokerHealthCheck<T>(this IResourceBuilder<T> resource)
        where T : IResourceWithConnectionString =>
        resource.WithConnectionStringHealthCheck((checks, name, bootstrapServers) =>
        {
            var healthCheck = new Lazy<KafkaBrokerHealthCheck>(() => new KafkaBrokerHealthCheck(bootstrapServers()));
            checks.Add(new HealthCheckRegistration(name, _ => healthCheck.Value, failureStatus: null, tags: null));
        });
}

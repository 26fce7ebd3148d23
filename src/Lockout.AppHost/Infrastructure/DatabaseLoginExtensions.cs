using Lockout.Database;

namespace Lockout.AppHost.Infrastructure;

/// <summary>
/// A connection string per database role (<see cref="DatabaseRoles"/>), each with a generated password of its own:
/// a service gets its role's login under the name <c>lockoutdb</c>, and never the administrator's.
/// </summary>
public sealed record DatabaseLogins(
    IResourceBuilder<IResourceWithConnectionString> Owner,
    IResourceBuilder<IResourceWithConnectionString> Writer,
    IResourceBuilder<IResourceWithConnectionString> Api);

public static class DatabaseLoginExtensions
{
    /// <summary>
    /// Adds the logins <c>lockoutdb-owner</c>, <c>lockoutdb-writer</c> and <c>lockoutdb-api</c>, with passwords
    /// generated on the first run and kept in the AppHost's user secrets (<c>Parameters:lockoutdb-api-password</c>, …).
    /// </summary>
    public static DatabaseLogins AddDatabaseLogins(this IDistributedApplicationBuilder builder, LockoutInfrastructure infrastructure) =>
        new(
            builder.AddDatabaseLogin(infrastructure, "owner", DatabaseRoles.Owner),
            builder.AddDatabaseLogin(infrastructure, "writer", DatabaseRoles.Writer),
            builder.AddDatabaseLogin(infrastructure, "api", DatabaseRoles.Api));

    private static IResourceBuilder<IResourceWithConnectionString> AddDatabaseLogin(
        this IDistributedApplicationBuilder builder, LockoutInfrastructure infrastructure, string suffix, string role)
    {
        var name = $"{LockoutInfrastructureExtensions.DatabaseName}-{suffix}";
        // No special characters: the password goes into a connection string.
        var password = builder.AddParameter($"{name}-password", new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: true);
        var endpoint = infrastructure.DatabaseEndpoint;
        return builder.AddConnectionString(name, ReferenceExpression.Create(
            $"Host={endpoint.Property(EndpointProperty.Host)};Port={endpoint.Property(EndpointProperty.Port)};Username={role};Password={password};Database={LockoutInfrastructureExtensions.DatabaseName}"));
    }
}

namespace Lockout.AppHost.Infrastructure.Local;

/// <summary>
/// A database on a <see cref="LocalPostgresServerResource"/>, created by the AppHost once the server answers, with the
/// connection string and connection properties of Aspire's PostgreSQL database.
/// </summary>
public sealed class LocalPostgresDatabaseResource(string name, string databaseName, LocalPostgresServerResource parent)
    : Resource(name), IResourceWithParent<LocalPostgresServerResource>, IResourceWithConnectionString
{
    public LocalPostgresServerResource Parent { get; } = parent;

    public string DatabaseName { get; } = databaseName;

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create($"{Parent};Database={DatabaseName}");

    IEnumerable<KeyValuePair<string, ReferenceExpression>> IResourceWithConnectionString.GetConnectionProperties()
    {
        var endpoint = Parent.PrimaryEndpoint;
        return
        [
            new("Host", ReferenceExpression.Create($"{endpoint.Property(EndpointProperty.Host)}")),
            new("Port", ReferenceExpression.Create($"{endpoint.Property(EndpointProperty.Port)}")),
            new("Username", ReferenceExpression.Create($"{LocalPostgresServerResource.UserName}")),
            new("Password", ReferenceExpression.Create($"{Parent.PasswordParameter}")),
            new("Uri", ReferenceExpression.Create(
                $"postgresql://{LocalPostgresServerResource.UserName}:{Parent.PasswordParameter:uri}@{endpoint.Property(EndpointProperty.HostAndPort)}/{DatabaseName}")),
            new("JdbcConnectionString", ReferenceExpression.Create($"jdbc:postgresql://{endpoint.Property(EndpointProperty.HostAndPort)}/{DatabaseName}")),
            new("DatabaseName", ReferenceExpression.Create($"{DatabaseName}")),
        ];
    }
}

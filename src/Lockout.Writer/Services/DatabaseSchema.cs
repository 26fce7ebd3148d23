using Lockout.Database;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using Lockout.ServiceDefaults;
using Lockout.Writer.Extensions;

namespace Lockout.Writer.Services;

/// <summary>
/// Waits until the schema is at this build's version (Lockout.DatabaseManager migrates it, as the schema's owner;
/// the writer's role may not), and nothing reads or writes the tables before that. Retries until the database answers
/// and the journal lists every script.
/// </summary>
public sealed partial class DatabaseSchema(IConfiguration configuration, ILogger<DatabaseSchema> logger) : BackgroundService, IHealthCheck
{
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task WaitUntilReadyAsync(CancellationToken cancellationToken) => _ready.Task.WaitAsync(cancellationToken);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_ready.Task.IsCompletedSuccessfully
            ? HealthCheckResult.Healthy("The schema is at this version.")
            : HealthCheckResult.Unhealthy("The schema is not at this version yet."));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The raw connection string: a data source hides the password, which DbUp needs.
        var connectionString = configuration.GetConnectionString(WriterExtensions.DatabaseConnection)
            ?? throw new InvalidOperationException($"ConnectionStrings:{WriterExtensions.DatabaseConnection} is not configured.");
        var untilMigrated = StartupRetry.Create(
            exception => exception is NpgsqlException or InvalidOperationException or SchemaNotMigratedException,
            (exception, delay) => LogSchemaRetry(logger, delay.TotalSeconds, exception));
        await untilMigrated.ExecuteAsync(async token =>
        {
            if (!await SchemaMigrator.IsUpToDateAsync(connectionString, token))
            {
                throw new SchemaNotMigratedException();
            }
        }, stoppingToken);
        _ready.TrySetResult();
    }

    private sealed class SchemaNotMigratedException() : Exception("The migration journal does not list every script of this build yet.");

    [LoggerMessage(Level = LogLevel.Warning, Message = "The database schema is not at this version yet; checking again in {DelaySeconds} s.")]
    private static partial void LogSchemaRetry(ILogger logger, double delaySeconds, Exception exception);
}

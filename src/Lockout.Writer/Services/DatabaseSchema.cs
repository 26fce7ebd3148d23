using Lockout.Database;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using Lockout.ServiceDefaults;
using Lockout.Writer.Extensions;

namespace Lockout.Writer.Services;

/// <summary>
/// The writer owns the schema: it migrates on start (retrying until the database answers), and nothing reads
/// or writes the tables before that. The AppHost makes the API wait for the writer's readiness for the same reason.
/// </summary>
public sealed partial class DatabaseSchema(IConfiguration configuration, ILogger<DatabaseSchema> logger) : BackgroundService, IHealthCheck
{
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task WaitUntilReadyAsync(CancellationToken cancellationToken) => _ready.Task.WaitAsync(cancellationToken);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_ready.Task.IsCompletedSuccessfully
            ? HealthCheckResult.Healthy("The schema is migrated.")
            : HealthCheckResult.Unhealthy("The schema is not migrated yet."));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The raw connection string: a data source hides the password, which DbUp needs.
        var connectionString = configuration.GetConnectionString(WriterExtensions.DatabaseConnection)
            ?? throw new InvalidOperationException($"ConnectionStrings:{WriterExtensions.DatabaseConnection} is not configured.");
        var untilMigrated = StartupRetry.Create(
            exception => exception is NpgsqlException or InvalidOperationException,
            (exception, delay) => LogMigrationRetry(logger, delay.TotalSeconds, exception));
        await untilMigrated.ExecuteAsync(async token => await SchemaMigrator.MigrateAsync(connectionString, logger, token), stoppingToken);
        _ready.TrySetResult();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The database schema could not be migrated yet; retrying in {DelaySeconds} s.")]
    private static partial void LogMigrationRetry(ILogger logger, double delaySeconds, Exception exception);
}

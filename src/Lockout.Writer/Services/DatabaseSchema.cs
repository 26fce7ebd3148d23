using Lockout.Database;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
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
        var delay = TimeSpan.FromMilliseconds(250);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SchemaMigrator.MigrateAsync(connectionString, logger, stoppingToken);
                _ready.TrySetResult();
                return;
            }
            catch (Exception exception) when (exception is NpgsqlException or InvalidOperationException && !stoppingToken.IsCancellationRequested)
            {
                LogMigrationRetry(logger, exception);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The database schema could not be migrated yet; retrying.")]
    private static partial void LogMigrationRetry(ILogger logger, Exception exception);
}

using Lockout.Database;
using Lockout.ServiceDefaults;
using Npgsql;

namespace Lockout.DatabaseManager;

/// <summary>
/// Sets the database up and exits: the roles with their passwords, who may connect, and the schema, migrated as its
/// owner. The only part of Lockout that holds the administrator's connection string; the AppHost starts the services
/// once it has exited successfully.
/// </summary>
public sealed partial class DatabaseSetup(IConfiguration configuration, IHostApplicationLifetime lifetime, ILogger<DatabaseSetup> logger) : BackgroundService
{
    /// <summary>The administrator's connection (the AppHost's database resource), then each role's login.</summary>
    public const string AdminConnection = "lockoutdb";
    public const string OwnerConnection = "lockoutdb-owner";
    public const string WriterConnection = "lockoutdb-writer";
    public const string ApiConnection = "lockoutdb-api";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            var logins = new DatabaseLogins(Required(OwnerConnection), Required(WriterConnection), Required(ApiConnection));
            var admin = Required(AdminConnection);
            // The server may still be starting; anything else (a wrong password, a refused grant) ends the run.
            var untilProvisioned = StartupRetry.Create(
                exception => exception is NpgsqlException { IsTransient: true },
                (exception, delay) => LogRetry(logger, delay.TotalSeconds, exception));
            await untilProvisioned.ExecuteAsync(
                async token => await DatabaseProvisioning.ProvisionAsync(admin, logins, logger, token), stoppingToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogFailed(logger, exception);
            Environment.ExitCode = 1;
        }
        finally
        {
            lifetime.StopApplication();
        }
    }

    private string Required(string name) =>
        configuration.GetConnectionString(name) ?? throw new InvalidOperationException($"ConnectionStrings:{name} is not configured.");

    [LoggerMessage(Level = LogLevel.Warning, Message = "The database is not reachable yet; retrying in {DelaySeconds} s.")]
    private static partial void LogRetry(ILogger logger, double delaySeconds, Exception exception);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The database could not be set up.")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}

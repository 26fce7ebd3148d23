using DbUp;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Lockout.Database;

/// <summary>
/// Brings the schema up to date with the scripts in <c>Migrations/</c> (DbUp, journaled in <c>schemaversions</c>).
/// </summary>
public static partial class SchemaMigrator
{
    // Any constant shared by every instance: two writers starting together must not run the scripts twice.
    private const long MigrationLockKey = 0x4C6F636B6F7574; // "Lockout"

    public static async Task MigrateAsync(string connectionString, ILogger logger, CancellationToken cancellationToken = default)
    {
        // A session-level lock: unlocked explicitly, because closing a pooled connection does not end its session.
        await using var lockConnection = new NpgsqlConnection(connectionString);
        await lockConnection.OpenAsync(cancellationToken);
        await ExecuteAsync(lockConnection, "SELECT pg_advisory_lock(@key)", cancellationToken);
        try
        {
            var upgrade = DeployChanges.To
                .PostgresqlDatabase(connectionString)
                .WithScriptsEmbeddedInAssembly(typeof(SchemaMigrator).Assembly)
                .WithTransactionPerScript()
                .LogTo(logger)
                .Build()
                .PerformUpgrade();

            if (!upgrade.Successful)
            {
                throw new InvalidOperationException($"The database schema could not be migrated: {upgrade.Error?.Message}", upgrade.Error);
            }

            var applied = upgrade.Scripts.Count();
            LogMigrated(logger, applied);
        }
        finally
        {
            await ExecuteAsync(lockConnection, "SELECT pg_advisory_unlock(@key)", CancellationToken.None);
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("key", MigrationLockKey);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Database schema is up to date ({ScriptCount} script(s) applied now).")]
    private static partial void LogMigrated(ILogger logger, int scriptCount);
}

using DbUp;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Lockout.Database;

/// <summary>
/// Brings the schema up to date with the scripts in <c>Migrations/</c> (DbUp, journaled in <c>schemaversions</c>).
/// Run as the schema's owner (<see cref="DatabaseRoles.Owner"/>): its migrations grant the services their rights.
/// </summary>
public static partial class SchemaMigrator
{
    // Any constant shared by every instance: two writers starting together must not run the scripts twice.
    private const long MigrationLockKey = 0x4C6F636B6F7574; // "Lockout"

    public static async Task MigrateAsync(string connectionString, ILogger logger, CancellationToken cancellationToken = default)
    {
        connectionString = Unpooled(connectionString);
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

    /// <summary>
    /// True when every script of this build has run. Needs only SELECT on the journal (before migration 0004 grants it,
    /// a service sees no journal and so an out-of-date schema).
    /// </summary>
    public static Task<bool> IsUpToDateAsync(string connectionString, CancellationToken cancellationToken = default) =>
        Task.Run(() => !DeployChanges.To
            .PostgresqlDatabase(Unpooled(connectionString))
            .WithScriptsEmbeddedInAssembly(typeof(SchemaMigrator).Assembly)
            .LogToNowhere()
            .Build()
            .IsUpgradeRequired(), cancellationToken);

    /// <summary>
    /// A connection string whose connections close when they are closed. Migrating and checking happen once: pooled,
    /// their connections would stay open and idle for minutes (Npgsql's idle lifetime), each holding one of the
    /// server's connection slots.
    /// </summary>
    public static string Unpooled(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString;

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("key", MigrationLockKey);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Database schema is up to date ({ScriptCount} script(s) applied now).")]
    private static partial void LogMigrated(ILogger logger, int scriptCount);
}

using Microsoft.Extensions.Logging;
using Npgsql;

namespace Lockout.Database;

/// <summary>The connection strings of Lockout's roles, each naming its role as the user and carrying its password.</summary>
public sealed record DatabaseLogins(string Owner, string Writer, string Api)
{
    /// <summary>The role and password of each login; throws if a login names another role than its own.</summary>
    public IEnumerable<(string Role, string Password)> Credentials()
    {
        foreach (var (role, connectionString) in new[] { (DatabaseRoles.Owner, Owner), (DatabaseRoles.Writer, Writer), (DatabaseRoles.Api, Api) })
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            if (builder.Username != role || string.IsNullOrEmpty(builder.Password))
            {
                throw new InvalidOperationException($"The login for role {role} must name user {role} and carry a password.");
            }

            yield return (role, builder.Password);
        }
    }
}

/// <summary>
/// Sets a database up for Lockout as an administrator would: creates the roles with their passwords, lets them (and
/// no one else) connect, then migrates the schema as its owner, whose migrations grant the services their rights.
/// </summary>
public static partial class DatabaseProvisioning
{
    // Any constant: two provisioners at once (tests create databases in parallel) must not both create a role.
    private const long RolesLockKey = 0x4C6F636B526F6C; // "LockRol"

    /// <param name="adminConnectionString">A superuser's (or a role with CREATEROLE's) connection to the database.</param>
    public static async Task ProvisionAsync(string adminConnectionString, DatabaseLogins logins, ILogger logger, CancellationToken cancellationToken = default)
    {
        await EnsureRolesAsync(adminConnectionString, logins, cancellationToken);
        await PrepareDatabaseAsync(adminConnectionString, cancellationToken);
        await SchemaMigrator.MigrateAsync(logins.Owner, logger, cancellationToken);
        LogProvisioned(logger);
    }

    /// <summary>Creates the login roles, or resets an existing one's password and attributes (no superuser, no CREATEROLE).</summary>
    public static async Task EnsureRolesAsync(string adminConnectionString, DatabaseLogins logins, CancellationToken cancellationToken = default)
    {
        var credentials = logins.Credentials().ToList();
        await using var connection = new NpgsqlConnection(SchemaMigrator.Unpooled(adminConnectionString));
        await connection.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, $"SELECT pg_advisory_xact_lock({RolesLockKey})", cancellationToken);
        foreach (var (role, password) in credentials)
        {
            await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_roles WHERE rolname = @role", connection);
            exists.Parameters.AddWithValue("role", role);
            if (await exists.ExecuteScalarAsync(cancellationToken) is null)
            {
                await ExecuteAsync(connection, $"CREATE ROLE {role}", cancellationToken);
            }

            // Role names are constants (DatabaseRoles); the verifier holds base64 and '$:' only.
            await ExecuteAsync(connection,
                $"ALTER ROLE {role} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT PASSWORD '{ScramVerifier.Create(password)}'",
                cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// The roles may connect to the database and use its public schema, the owner may create in it, and nobody else
    /// may do anything (PUBLIC loses CONNECT, TEMP, and CREATE on the schema). Lockout's objects made by an earlier
    /// version, when the migrations ran as the administrator, pass to the owner so that its migrations can grant on them.
    /// </summary>
    public static async Task PrepareDatabaseAsync(string adminConnectionString, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(SchemaMigrator.Unpooled(adminConnectionString));
        await connection.OpenAsync(cancellationToken);
        var database = new NpgsqlCommandBuilder().QuoteIdentifier(connection.Database);
        await ExecuteAsync(connection, $"""
            REVOKE ALL ON DATABASE {database} FROM PUBLIC;
            GRANT CONNECT ON DATABASE {database} TO {DatabaseRoles.Owner}, {DatabaseRoles.Writer}, {DatabaseRoles.Api};
            REVOKE ALL ON SCHEMA public FROM PUBLIC;
            GRANT USAGE, CREATE ON SCHEMA public TO {DatabaseRoles.Owner};
            GRANT USAGE ON SCHEMA public TO {DatabaseRoles.Writer}, {DatabaseRoles.Api};
            ALTER TABLE IF EXISTS schemaversions OWNER TO {DatabaseRoles.Owner};
            ALTER TABLE IF EXISTS USERS OWNER TO {DatabaseRoles.Owner};
            ALTER TABLE IF EXISTS LOCKOUT_EVENTS OWNER TO {DatabaseRoles.Owner};
            DO $$
            BEGIN
                IF to_regprocedure('PURGE_EXPIRED_EVENTS(TIMESTAMP WITH TIME ZONE, INTEGER)') IS NOT NULL THEN
                    ALTER FUNCTION PURGE_EXPIRED_EVENTS(TIMESTAMP WITH TIME ZONE, INTEGER) OWNER TO {DatabaseRoles.Owner};
                END IF;
            END $$;
            """, cancellationToken);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The database is provisioned: roles, connect rights, schema migrated by its owner.")]
    private static partial void LogProvisioned(ILogger logger);
}

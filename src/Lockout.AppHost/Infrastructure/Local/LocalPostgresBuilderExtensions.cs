using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Lockout.AppHost.Infrastructure.Local;

/// <summary>
/// Adds a <see cref="LocalPostgresServerResource"/> and its <see cref="LocalPostgresDatabaseResource"/>s: local
/// mode's PostgreSQL.
/// </summary>
public static partial class LocalPostgresBuilderExtensions
{
    private const string PostgresUser = "postgres";

    /// <summary>
    /// A PostgreSQL server initialised (initdb) into the run's data folder before it starts. When the AppHost
    /// runs as root the server runs as the postgres user, because PostgreSQL refuses to run as root.
    /// </summary>
    public static IResourceBuilder<LocalPostgresServerResource> AddLocalPostgres(
        this IDistributedApplicationBuilder builder, [ResourceName] string name, LocalToolchain toolchain, LocalDataFolder data)
    {
        var runAsPostgresUser = Environment.IsPrivilegedProcess;
        if (runAsPostgresUser && !UserExists(PostgresUser))
        {
            throw new InfrastructureUnavailableException(
                $"The AppHost runs as root, so local mode runs PostgreSQL as the '{PostgresUser}' user, which does not exist: {LocalToolchain.InstallHint}.");
        }

        var password = ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password", special: false);
        builder.AddResource(password);

        // setpriv executes postgres in its own place (no child process), so stopping the resource stops the server.
        var command = runAsPostgresUser ? "setpriv" : toolchain.Postgres;
        var server = new LocalPostgresServerResource(name, command, data.Postgres, password);

        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(server, async (@event, cancellationToken) =>
        {
            var logger = @event.Services.GetRequiredService<ResourceLoggerService>().GetLogger(server);
            await InitializeDataDirectoryAsync(toolchain, data, server, runAsPostgresUser, logger, cancellationToken);
        });

        builder.Eventing.Subscribe<ResourceReadyEvent>(server, async (@event, cancellationToken) =>
        {
            var connectionString = await server.ConnectionStringExpression.GetValueAsync(cancellationToken);
            await using var connection = new NpgsqlConnection(connectionString + ";Database=postgres");
            await connection.OpenAsync(cancellationToken);
            var notifications = @event.Services.GetRequiredService<ResourceNotificationService>();
            foreach (var database in builder.Resources.OfType<LocalPostgresDatabaseResource>().Where(d => d.Parent == server))
            {
                await CreateDatabaseAsync(connection, database.DatabaseName, cancellationToken);
                await notifications.PublishUpdateAsync(database, snapshot => snapshot with
                {
                    State = KnownResourceStates.Running,
                    StartTimeStamp = DateTime.UtcNow,
                });
            }
        });

        var port = server.PrimaryEndpoint.Property(EndpointProperty.TargetPort);
        return builder.AddResource(server)
            .WithEndpoint(name: LocalPostgresServerResource.PrimaryEndpointName, scheme: "tcp", isProxied: false)
            .WithArgs(context =>
            {
                if (runAsPostgresUser)
                {
                    context.Args.Add($"--reuid={PostgresUser}");
                    context.Args.Add($"--regid={PostgresUser}");
                    context.Args.Add("--init-groups");
                    context.Args.Add("--");
                    context.Args.Add(toolchain.Postgres);
                }

                context.Args.Add("-D");
                context.Args.Add(data.Postgres);
                context.Args.Add("-p");
                context.Args.Add(port);
                context.Args.Add("-c");
                context.Args.Add("listen_addresses=localhost");
                // TCP only: the default socket folder (/var/run/postgresql) may not exist or be writable.
                context.Args.Add("-c");
                context.Args.Add("unix_socket_directories=");
                // The API, the writer and a benchmark's baseline each keep a connection pool.
                context.Args.Add("-c");
                context.Args.Add("max_connections=300");
            })
            .WithIconName("DatabaseMultiple")
            // The server's own connection string names no database; the check asks the maintenance one.
            .WithConnectionStringHealthCheck((checks, checkName, connectionString) =>
                checks.AddNpgSql(_ => connectionString() + ";Database=postgres", name: checkName));
    }

    /// <summary>A database the AppHost creates on the server once it answers.</summary>
    public static IResourceBuilder<LocalPostgresDatabaseResource> AddDatabase(
        this IResourceBuilder<LocalPostgresServerResource> server, [ResourceName] string name, string? databaseName = null)
    {
        var builder = server.ApplicationBuilder;
        var database = new LocalPostgresDatabaseResource(name, databaseName ?? name, server.Resource);

        return builder.AddResource(database)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "PostgresDatabase",
                State = KnownResourceStates.Waiting,
                Properties = [],
            })
            .WithIconName("Database")
            .WithConnectionStringHealthCheck((checks, checkName, connectionString) => checks.AddNpgSql(_ => connectionString(), name: checkName));
    }

    private static async Task InitializeDataDirectoryAsync(
        LocalToolchain toolchain, LocalDataFolder data, LocalPostgresServerResource server, bool runAsPostgresUser, ILogger logger, CancellationToken cancellationToken)
    {
        if (File.Exists(Path.Combine(data.Postgres, "PG_VERSION")))
        {
            return; // a restart from the dashboard: keep the data
        }

        var password = await server.PasswordParameter.GetValueAsync(cancellationToken)
            ?? throw new InvalidOperationException("The PostgreSQL password parameter has no value.");
        var passwordFile = Path.Combine(data.Root, "postgres-password");
        await File.WriteAllTextAsync(passwordFile, password, cancellationToken);
        Directory.CreateDirectory(data.Postgres);
        try
        {
            List<string> arguments = ["-D", data.Postgres, "-U", LocalPostgresServerResource.UserName, "--auth=scram-sha-256",
                $"--pwfile={passwordFile}", "--encoding=UTF8", "--locale=C", "--no-instructions"];
            if (runAsPostgresUser)
            {
                await RunAsync("chown", [$"{PostgresUser}:{PostgresUser}", data.Postgres, passwordFile], logger, cancellationToken);
                await RunAsync("setpriv", [$"--reuid={PostgresUser}", $"--regid={PostgresUser}", "--init-groups", "--", toolchain.InitDb, .. arguments], logger, cancellationToken);
            }
            else
            {
                await RunAsync(toolchain.InitDb, arguments, logger, cancellationToken);
            }
        }
        finally
        {
            File.Delete(passwordFile);
        }
    }

    private static async Task RunAsync(string program, IReadOnlyList<string> arguments, ILogger logger, CancellationToken cancellationToken)
    {
        var result = await ToolProcess.RunAsync(program, arguments, cancellationToken);
        var programName = Path.GetFileName(program);
        foreach (var line in (result.Output + result.Errors).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            LogToolOutput(logger, programName, line);
        }

        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} exited with code {result.ExitCode}; see the resource's log.");
        }
    }

    private static async Task CreateDatabaseAsync(NpgsqlConnection connection, string databaseName, CancellationToken cancellationToken)
    {
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @name", connection);
        exists.Parameters.AddWithValue("name", databaseName);
        if (await exists.ExecuteScalarAsync(cancellationToken) is not null)
        {
            return;
        }

        var quoted = new NpgsqlCommandBuilder().QuoteIdentifier(databaseName);
        await using var create = new NpgsqlCommand($"CREATE DATABASE {quoted}", connection);
        await create.ExecuteNonQueryAsync(cancellationToken);
    }

    private static bool UserExists(string user) =>
        File.Exists("/etc/passwd") && File.ReadLines("/etc/passwd").Any(line => line.StartsWith(user + ":", StringComparison.Ordinal));

    [LoggerMessage(Level = LogLevel.Information, Message = "{Program}: {Line}")]
    private static partial void LogToolOutput(ILogger logger, string program, string line);
}

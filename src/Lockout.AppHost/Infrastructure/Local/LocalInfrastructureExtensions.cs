using System.Collections.Immutable;
using System.Diagnostics;
using Lockout.Events;
using Lockout.Kafka;
using Lockout.KafkaMock;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Lockout.AppHost.Infrastructure.Local;

/// <summary>
/// Local mode: Redis, PostgreSQL and a Kafka-protocol broker as processes the AppHost starts, stops and shows
/// in the dashboard, with the same resource names and connection-string shapes as container mode.
/// </summary>
public static partial class LocalInfrastructureExtensions
{
    private const string PostgresUser = "postgres";

    /// <summary>A <c>redis-server</c> on loopback, keeping an append-only file in the run's data folder.</summary>
    public static IResourceBuilder<LocalRedisResource> AddLocalRedis(
        this IDistributedApplicationBuilder builder, [ResourceName] string name, LocalToolchain toolchain, LocalDataFolder data)
    {
        var redis = new LocalRedisResource(name, toolchain.RedisServer, data.Redis);

        string? connectionString = null;
        builder.Eventing.Subscribe<ConnectionStringAvailableEvent>(redis, async (_, cancellationToken) =>
            connectionString = await redis.ConnectionStringExpression.GetValueAsync(cancellationToken));
        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().AddRedis(
            _ => connectionString ?? throw new InvalidOperationException("The Redis connection string is not available yet."),
            name: healthCheckKey);

        var port = redis.PrimaryEndpoint.Property(EndpointProperty.TargetPort);
        return builder.AddResource(redis)
            // Not proxied: the login path's every request goes to Redis, and a proxy would sit in each round trip.
            .WithEndpoint(name: LocalRedisResource.PrimaryEndpointName, scheme: "tcp", isProxied: false)
            .WithArgs(context =>
            {
                context.Args.Add("--port");
                context.Args.Add(port);
                context.Args.Add("--bind");
                context.Args.Add("127.0.0.1");
                context.Args.Add("-::1"); // IPv6 loopback if the machine has it ("localhost" may resolve to either)
                context.Args.Add("--dir");
                context.Args.Add(data.Redis);
                // The outbox lives in Redis: an append-only file, synced every second, survives a Redis restart.
                context.Args.Add("--appendonly");
                context.Args.Add("yes");
                context.Args.Add("--appendfsync");
                context.Args.Add("everysec");
                context.Args.Add("--save");
                context.Args.Add("");
            })
            .WithIconName("Memory")
            .WithHealthCheck(healthCheckKey);
    }

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

        string? connectionString = null;
        builder.Eventing.Subscribe<ConnectionStringAvailableEvent>(server, async (_, cancellationToken) =>
            connectionString = await server.ConnectionStringExpression.GetValueAsync(cancellationToken));

        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(server, async (@event, cancellationToken) =>
        {
            var logger = @event.Services.GetRequiredService<ResourceLoggerService>().GetLogger(server);
            await InitializeDataDirectoryAsync(toolchain, data, server, runAsPostgresUser, logger, cancellationToken);
        });

        builder.Eventing.Subscribe<ResourceReadyEvent>(server, async (@event, cancellationToken) =>
        {
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

        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().AddNpgSql(
            _ => (connectionString ?? throw new InvalidOperationException("The PostgreSQL connection string is not available yet.")) + ";Database=postgres",
            name: healthCheckKey);

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
            .WithHealthCheck(healthCheckKey);
    }

    /// <summary>A database the AppHost creates on the server once it answers.</summary>
    public static IResourceBuilder<LocalPostgresDatabaseResource> AddDatabase(
        this IResourceBuilder<LocalPostgresServerResource> server, [ResourceName] string name, string? databaseName = null)
    {
        var builder = server.ApplicationBuilder;
        var database = new LocalPostgresDatabaseResource(name, databaseName ?? name, server.Resource);
        server.Resource.Databases[name] = database.DatabaseName;

        string? connectionString = null;
        builder.Eventing.Subscribe<ConnectionStringAvailableEvent>(database, async (_, cancellationToken) =>
            connectionString = await database.ConnectionStringExpression.GetValueAsync(cancellationToken));
        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().AddNpgSql(
            _ => connectionString ?? throw new InvalidOperationException("The database connection string is not available yet."),
            name: healthCheckKey);

        return builder.AddResource(database)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "PostgresDatabase",
                State = KnownResourceStates.Waiting,
                Properties = [],
            })
            .WithIconName("Database")
            .WithHealthCheck(healthCheckKey);
    }

    /// <summary>
    /// A Kafka-protocol broker inside the AppHost (librdkafka's mock cluster), with the lock-event topics created,
    /// and dashboard commands to start and end a broker outage.
    /// </summary>
    public static IResourceBuilder<KafkaMockClusterResource> AddKafkaMockCluster(this IDistributedApplicationBuilder builder, [ResourceName] string name)
    {
        var kafka = new KafkaMockClusterResource(name);

        var healthCheckKey = $"{name}_check";
        var healthCheck = new Lazy<KafkaBrokerHealthCheck>(() =>
            new KafkaBrokerHealthCheck(kafka.Cluster?.BootstrapServers ?? throw new InvalidOperationException("The mock cluster has not started.")));
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(healthCheckKey, _ => healthCheck.Value, failureStatus: null, tags: null));

        builder.Eventing.Subscribe<InitializeResourceEvent>(kafka, async (@event, cancellationToken) =>
        {
            var logger = @event.Logger;
            var cluster = MockKafkaCluster.Start(brokerCount: 1, log: (level, facility, message) =>
            {
                var logLevel = SyslogToLogLevel(level);
                LogBroker(logger, logLevel, facility, message);
            });
            cluster.CreateTopic(LockoutTopics.Events, LockoutTopics.DefaultPartitions);
            cluster.CreateTopic(LockoutTopics.DeadLetter, 1);
            @event.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopped.Register(cluster.Dispose);
            kafka.Started(cluster);
            var bootstrapServers = cluster.BootstrapServers;
            LogStarted(logger, bootstrapServers, LockoutTopics.Events, LockoutTopics.DefaultPartitions);

            await @event.Eventing.PublishAsync(new ConnectionStringAvailableEvent(kafka, @event.Services), cancellationToken);
            await @event.Eventing.PublishAsync(new BeforeResourceStartedEvent(kafka, @event.Services), cancellationToken);
            await @event.Notifications.PublishUpdateAsync(kafka, snapshot => snapshot with
            {
                State = KnownResourceStates.Running,
                StartTimeStamp = DateTime.UtcNow,
                Properties = WithProperty(WithProperty(snapshot.Properties, "kafka.bootstrap-servers", cluster.BootstrapServers), "kafka.outage", false),
            });
        });

        return builder.AddResource(kafka)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "KafkaMockCluster",
                State = KnownResourceStates.Starting,
                Properties = [],
            })
            .WithIconName("ArrowSwap")
            .WithHealthCheck(healthCheckKey)
            .WithCommand(
                "start-broker-outage",
                "Start broker outage",
                context => SetOutageAsync(kafka, down: true, context),
                new CommandOptions
                {
                    Description = "Switches the broker down: connections drop and new ones are refused, as in a Kafka outage.",
                    IconName = "PlugDisconnected",
                    UpdateState = context => IsRunning(context) && kafka.Cluster is { IsDown: false } ? ResourceCommandState.Enabled : ResourceCommandState.Disabled,
                })
            .WithCommand(
                "end-broker-outage",
                "End broker outage",
                context => SetOutageAsync(kafka, down: false, context),
                new CommandOptions
                {
                    Description = "Switches the broker up again on the same port.",
                    IconName = "PlugConnected",
                    UpdateState = context => IsRunning(context) && kafka.Cluster is { IsDown: true } ? ResourceCommandState.Enabled : ResourceCommandState.Disabled,
                });
    }

    private static async Task<ExecuteCommandResult> SetOutageAsync(KafkaMockClusterResource kafka, bool down, ExecuteCommandContext context)
    {
        if (kafka.Cluster is not { } cluster)
        {
            return CommandResults.Failure("The broker has not started.");
        }

        if (down)
        {
            cluster.SetBrokersDown();
        }
        else
        {
            cluster.SetBrokersUp();
        }

        LogOutage(context.Logger, down);
        await context.Services.GetRequiredService<ResourceNotificationService>().PublishUpdateAsync(kafka, snapshot => snapshot with
        {
            Properties = WithProperty(snapshot.Properties, "kafka.outage", down),
        });
        return CommandResults.Success();
    }

    private static bool IsRunning(UpdateCommandStateContext context) =>
        context.ResourceSnapshot.State?.Text == KnownResourceStates.Running;

    private static ImmutableArray<ResourcePropertySnapshot> WithProperty(ImmutableArray<ResourcePropertySnapshot> properties, string name, object value) =>
        [.. properties.Where(property => property.Name != name), new ResourcePropertySnapshot(name, value)];

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
        using var process = Process.Start(new ProcessStartInfo(program, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException($"Could not start {program}.");

        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var programName = Path.GetFileName(program);
        foreach (var line in ((await output) + (await errors)).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            LogToolOutput(logger, programName, line);
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} exited with code {process.ExitCode}; see the resource's log.");
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

    private static LogLevel SyslogToLogLevel(int level) => level switch
    {
        <= 3 => LogLevel.Error,
        4 => LogLevel.Warning,
        5 or 6 => LogLevel.Information,
        _ => LogLevel.Debug,
    };

    [LoggerMessage(Message = "{Facility}: {Text}")]
    private static partial void LogBroker(ILogger logger, LogLevel level, string facility, string text);

    [LoggerMessage(Level = LogLevel.Information, Message = "Mock Kafka cluster listening on {BootstrapServers}; topic {Topic} has {Partitions} partitions.")]
    private static partial void LogStarted(ILogger logger, string bootstrapServers, string topic, int partitions);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Broker outage: {Down}.")]
    private static partial void LogOutage(ILogger logger, bool down);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Program}: {Line}")]
    private static partial void LogToolOutput(ILogger logger, string program, string line);
}

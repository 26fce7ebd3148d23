using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Lockout.Database;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Lockout.Tests.Infrastructure;

/// <summary>
/// One real redis-server and one real PostgreSQL server for the whole test run, started by the AppHost's own
/// local-mode code (so the tests exercise it too). Each test class then gets an isolated
/// <see cref="TestEnvironment"/> on them: its own Redis database, PostgreSQL database and Kafka broker.
/// </summary>
public sealed class LocalInfrastructureFixture : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    private static int _nextRedisDatabase;
    private static int _nextDatabase;

    private DistributedApplication? _app;

    /// <summary>Redis's default user: the tests' own, to set up and inspect.</summary>
    public string RedisConnectionString { get; private set; } = "";

    /// <summary>The API's and the relay's Redis users, as the AppHost defines them.</summary>
    public string RedisApiConnectionString { get; private set; } = "";

    public string RedisRelayConnectionString { get; private set; } = "";

    /// <summary>The administrator's connection to the server's maintenance database.</summary>
    public string ServerConnectionString { get; private set; } = "";

    /// <summary>The roles' logins as the AppHost makes them (to <c>lockoutdb</c>; each environment names its own database).</summary>
    public DatabaseLogins Logins { get; private set; } = new("", "", "");

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The infrastructure has not started.");

    public async ValueTask InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(StartTimeout);
        // The AppHost's own model in local mode, minus the services: the tests host those themselves.
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Lockout_AppHost>(
            ["--Infrastructure:Mode=local"], (options, _) => options.DisableDashboard = true, timeout.Token);
        foreach (var project in builder.Resources.OfType<ProjectResource>().ToList())
        {
            builder.Resources.Remove(project);
        }

        _app = await builder.BuildAsync(timeout.Token);
        await _app.StartAsync(timeout.Token);

        foreach (var resource in new[] { "redis", "lockoutdb" })
        {
            await _app.ResourceNotifications.WaitForResourceHealthyAsync(resource, timeout.Token);
        }

        RedisConnectionString = await _app.GetConnectionStringAsync("redis", timeout.Token)
            ?? throw new InvalidOperationException("Redis has no connection string.");
        RedisApiConnectionString = await LoginAsync("redis-api", timeout.Token);
        RedisRelayConnectionString = await LoginAsync("redis-relay", timeout.Token);
        var database = await _app.GetConnectionStringAsync("lockoutdb", timeout.Token)
            ?? throw new InvalidOperationException("lockoutdb has no connection string.");
        // Every test class creates its database at once when the run starts; on two cores a connection then waited
        // past Npgsql's 15 s default (CI, once). A test environment may take its time to set up.
        ServerConnectionString = new NpgsqlConnectionStringBuilder(database) { Database = "postgres", Timeout = 60 }.ConnectionString;
        Logins = new DatabaseLogins(
            await LoginAsync("lockoutdb-owner", timeout.Token), await LoginAsync("lockoutdb-writer", timeout.Token), await LoginAsync("lockoutdb-api", timeout.Token));
        // The roles belong to the server, not to a database: created once, as the database manager would.
        await DatabaseProvisioning.EnsureRolesAsync(ServerConnectionString, Logins, timeout.Token);
    }

    private async Task<string> LoginAsync(string name, CancellationToken cancellationToken) =>
        await App.GetConnectionStringAsync(name, cancellationToken) ?? throw new InvalidOperationException($"{name} has no connection string.");

    /// <summary>
    /// A fresh, isolated environment: Redis database, PostgreSQL database set up as the database manager sets one up
    /// (connect rights, schema migrated by its owner), and Kafka broker. Its services connect as their own roles.
    /// </summary>
    /// <param name="postgres">
    /// A PostgreSQL server of the test's own, to hold the environment's database instead of the shared server (the roles
    /// are created on it as on the shared one).
    /// </param>
    public async Task<TestEnvironment> CreateEnvironmentAsync(int kafkaPartitions = 4, PostgresServerProcess? postgres = null)
    {
        // Redis has 16 databases; test classes are far fewer. FLUSHDB in TestEnvironment clears reuse.
        var redisDatabase = 1 + (Interlocked.Increment(ref _nextRedisDatabase) % 15);
        var databaseName = $"lockout_test_{Environment.ProcessId}_{Interlocked.Increment(ref _nextDatabase)}";
        var server = ServerConnectionString;
        var serverLogins = Logins;
        if (postgres is not null)
        {
            server = postgres.ConnectionString;
            serverLogins = new DatabaseLogins(OnServer(Logins.Owner, postgres), OnServer(Logins.Writer, postgres), OnServer(Logins.Api, postgres));
            await DatabaseProvisioning.EnsureRolesAsync(server, serverLogins);
        }

        await using (var connection = new NpgsqlConnection(server))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {databaseName}", connection);
            await create.ExecuteNonQueryAsync();
        }

        var databaseConnectionString = InDatabase(server, databaseName);
        var logins = new DatabaseLogins(InDatabase(serverLogins.Owner, databaseName), InDatabase(serverLogins.Writer, databaseName), InDatabase(serverLogins.Api, databaseName));
        await DatabaseProvisioning.PrepareDatabaseAsync(databaseConnectionString);
        await SchemaMigrator.MigrateAsync(logins.Owner, NullLogger.Instance);

        return await TestEnvironment.CreateAsync(
            $"{RedisConnectionString},defaultDatabase={redisDatabase},allowAdmin=true",
            new RedisLogins($"{RedisApiConnectionString},defaultDatabase={redisDatabase}", $"{RedisRelayConnectionString},defaultDatabase={redisDatabase}"),
            databaseConnectionString,
            logins,
            server,
            databaseName,
            kafkaPartitions);
    }

    private static string InDatabase(string connectionString, string database) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Database = database }.ConnectionString;

    private static string OnServer(string connectionString, PostgresServerProcess postgres)
    {
        var target = new NpgsqlConnectionStringBuilder(postgres.ConnectionString);
        return new NpgsqlConnectionStringBuilder(connectionString) { Host = target.Host, Port = target.Port }.ConnectionString;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}

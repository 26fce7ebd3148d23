using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Lockout.Benchmarks.Baseline;
using Lockout.Benchmarks.Load;
using Lockout.Benchmarks.Measurement;
using Npgsql;
using NpgsqlTypes;

namespace Lockout.Benchmarks.Systems;

/// <summary>
/// The baseline service (<see cref="BaselineServer"/>) in a child process, on its own database of Lockout's
/// PostgreSQL server.
/// </summary>
internal sealed class BaselineSystem : ILoginSystem, IAsyncDisposable
{
    private readonly ChildServer _server;
    private readonly NpgsqlDataSource _database;
    private readonly HttpClient _stats;

    private BaselineSystem(ChildServer server, NpgsqlDataSource database)
    {
        _server = server;
        _database = database;
        _stats = new HttpClient { BaseAddress = server.Address };
        Processes = [new ProcessGroup("baseline", server.Pid, includeChildren: false)];
    }

    public string Name => "Baseline";

    public IPEndPoint LoginEndpoint => _server.Endpoint;

    public string? DatabaseName => BaselineSql.DatabaseName;

    public bool IsComparison => true;

    public IReadOnlyList<ProcessGroup> Processes { get; }

    /// <param name="serverConnectionString">Any database's connection string on the server; the baseline gets its own database.</param>
    public static async Task<BaselineSystem> StartAsync(string serverConnectionString, int iterationCount, bool perfMap, CancellationToken cancellationToken)
    {
        var connectionString = await CreateDatabaseAsync(serverConnectionString, cancellationToken);
        var database = NpgsqlDataSource.Create(connectionString);
        var server = await ChildServer.StartAsync(
            [BaselineServer.Command, "--iterations", iterationCount.ToString(CultureInfo.InvariantCulture)],
            new Dictionary<string, string> { [BaselineServer.DatabaseVariable] = connectionString },
            perfMap,
            cancellationToken);
        return new BaselineSystem(server, database);
    }

    public async Task SeedAsync(AccountSet accounts, CancellationToken cancellationToken)
    {
        await using var connection = await _database.OpenConnectionAsync(cancellationToken);
        await using var import = await connection.BeginBinaryImportAsync(BaselineSql.CopyUsers, cancellationToken);
        for (var i = 0; i < accounts.Count; i++)
        {
            await import.StartRowAsync(cancellationToken);
            await import.WriteAsync(accounts.NormalizedUsername(i), NpgsqlDbType.Varchar, cancellationToken);
            await import.WriteAsync(accounts.Passwords.CorrectHash, NpgsqlDbType.Varchar, cancellationToken);
        }

        await import.CompleteAsync(cancellationToken);
    }

    public async Task BeginRunAsync(CancellationToken cancellationToken) =>
        (await _stats.PostAsync(new Uri("/stats/reset", UriKind.Relative), null, cancellationToken)).EnsureSuccessStatusCode();

    public async Task<RunAudit> AuditAsync(AccountSet accounts, LoadOutcome outcome, int? expectedLocks, CancellationToken cancellationToken, IReadOnlyList<string>? sources = null)
    {
        var stats = await _stats.GetFromJsonAsync<BaselineStatsResponse>(new Uri("/stats", UriKind.Relative), cancellationToken)
            ?? throw new InvalidOperationException("The baseline returned no stats.");

        await using var command = _database.CreateCommand(BaselineSql.AuditAccounts);
        command.Parameters.AddWithValue("Prefix", accounts.NormalizedPrefix + "%");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var locked = reader.GetInt64(0);
        var maxFailedCount = reader.GetInt32(2);
        var lastLock = reader.IsDBNull(3) ? (DateTime?)null : reader.GetDateTime(3);
        var peak = reader.GetInt64(4);

        // Some accounts short of a lock is this system's lost increments (concurrent failures of one account overwrite
        // each other's count), which the benchmark measures and reports; none locked at all is a broken run.
        List<string> problems = [];
        List<string> shortfall = [];
        if (locked == 0 && expectedLocks > 0)
        {
            problems.Add($"none of {expectedLocks} accounts is locked in the database.");
        }
        else if (locked < expectedLocks)
        {
            shortfall.Add($"{expectedLocks - locked} of {expectedLocks} accounts are not locked in the database: The baseline's lost increments");
        }

        // Locks are committed inside the requests: nothing is left to catch up once the last answer is in.
        var catchUp = lastLock is { } last && last > outcome.CompletedAtUtc ? last - outcome.CompletedAtUtc : TimeSpan.Zero;
        return new RunAudit(
            Verifications: stats.Verifications,
            // Per account only where the accounts are attacked (ordinary traffic verifies every login).
            MaxVerificationsPerAccount: expectedLocks == 0 ? 0 : Math.Max(maxFailedCount, accounts.Count == 1 ? stats.Verifications : 0),
            LockedAccounts: locked,
            LockRows: stats.Locks,
            PeakLocksPerSecond: peak,
            CatchUp: catchUp,
            LockLatencyP50Ms: stats.LockCommitP50Ms,
            LockLatencyP99Ms: stats.LockCommitP99Ms,
            Problems: problems,
            Notes: [$"ACCESS_FAILED_COUNT max {maxFailedCount}", .. shortfall]);
    }

    /// <summary>
    /// Its own counter of verified passwords (reset at the run's start), and from <c>ACCESS_FAILED_COUNT</c> the failures
    /// answered 401: those below the limit (the one that reaches it, and any that raced past it, answer 423).
    /// </summary>
    public async Task<VerificationCount> CountVerificationsAsync(AccountSet accounts, CancellationToken cancellationToken)
    {
        var stats = await _stats.GetFromJsonAsync<BaselineStatsResponse>(new Uri("/stats", UriKind.Relative), cancellationToken)
            ?? throw new InvalidOperationException("The baseline returned no stats.");
        await using var command = _database.CreateCommand(BaselineSql.CountUnauthorizedAnswers);
        command.Parameters.AddWithValue("Prefix", accounts.NormalizedPrefix + "%");
        command.Parameters.AddWithValue("MaxFailedAttempts", BaselineLoginApi.MaxFailedAttempts);
        var unauthorized = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        return new VerificationCount(stats.Verifications, unauthorized);
    }

    public async ValueTask DisposeAsync()
    {
        _stats.Dispose();
        await _database.DisposeAsync();
        await _server.DisposeAsync();
    }

    private static async Task<string> CreateDatabaseAsync(string serverConnectionString, CancellationToken cancellationToken)
    {
        await using (var server = new NpgsqlConnection(serverConnectionString))
        {
            await server.OpenAsync(cancellationToken);
            await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @name", server);
            exists.Parameters.AddWithValue("name", BaselineSql.DatabaseName);
            if (await exists.ExecuteScalarAsync(cancellationToken) is null)
            {
                await using var create = new NpgsqlCommand($"CREATE DATABASE {BaselineSql.DatabaseName}", server);
                await create.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        var connectionString = ChildServer.PooledConnectionString(serverConnectionString, BaselineSql.DatabaseName);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var table = new NpgsqlCommand(BaselineSql.CreateTable, connection);
        await table.ExecuteNonQueryAsync(cancellationToken);
        return connectionString;
    }
}

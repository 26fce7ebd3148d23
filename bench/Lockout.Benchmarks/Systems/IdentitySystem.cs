using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Lockout.Benchmarks.Identity;
using Lockout.Benchmarks.Load;
using Lockout.Benchmarks.Measurement;
using Microsoft.AspNetCore.Identity;
using Npgsql;

namespace Lockout.Benchmarks.Systems;

/// <summary>
/// Real ASP.NET Core Identity (<see cref="IdentityServer"/>) in a child process, on its own database of Lockout's
/// PostgreSQL server.
/// </summary>
internal sealed class IdentitySystem : ILoginSystem, IAsyncDisposable
{
    public const string SystemName = "Identity";
    public const string Database = "identitydb";

    /// <summary>Identity's default: a lock's row says when it ends, so it was committed this long before.</summary>
    private static readonly TimeSpan LockoutDuration = new LockoutOptions().DefaultLockoutTimeSpan;

    // Identity's schema (EF's EnsureCreated): AspNetUsers, columns in PascalCase.
    private const string AuditAccounts = """
        SELECT COUNT(*) FILTER (WHERE "LockoutEnd" IS NOT NULL),
               MAX("LockoutEnd") - @LockoutDuration,
               (SELECT COALESCE(MAX(n), 0) FROM (
                    SELECT COUNT(*) AS n FROM "AspNetUsers"
                     WHERE "NormalizedUserName" LIKE @Prefix AND "LockoutEnd" IS NOT NULL
                     GROUP BY date_trunc('second', "LockoutEnd")) AS per_second)
          FROM "AspNetUsers"
         WHERE "NormalizedUserName" LIKE @Prefix
        """;

    private readonly ChildServer _server;
    private readonly NpgsqlDataSource _database;
    private readonly HttpClient _http;

    private IdentitySystem(ChildServer server, NpgsqlDataSource database)
    {
        _server = server;
        _database = database;
        // Seeding 100,000 accounts through UserManager takes a while.
        _http = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromMinutes(10) };
        Processes = [new ProcessGroup("identity", server.Pid, includeChildren: false)];
    }

    public string Name => SystemName;

    public IPEndPoint LoginEndpoint => _server.Endpoint;

    public string? DatabaseName => Database;

    public bool IsComparison => true;

    public IReadOnlyList<ProcessGroup> Processes { get; }

    /// <param name="serverConnectionString">Any database's connection string on the server; Identity gets its own database (EF creates it).</param>
    public static async Task<IdentitySystem> StartAsync(string serverConnectionString, int iterationCount, bool perfMap, CancellationToken cancellationToken)
    {
        var connectionString = ChildServer.PooledConnectionString(serverConnectionString, Database);
        var server = await ChildServer.StartAsync(
            [IdentityServer.Command, "--iterations", iterationCount.ToString(CultureInfo.InvariantCulture)],
            new Dictionary<string, string> { [IdentityServer.DatabaseVariable] = connectionString },
            perfMap,
            cancellationToken);
        return new IdentitySystem(server, NpgsqlDataSource.Create(connectionString));
    }

    public async Task SeedAsync(AccountSet accounts, CancellationToken cancellationToken)
    {
        var usernames = Enumerable.Range(0, accounts.Count).Select(accounts.Username).ToList();
        using var response = await _http.PostAsJsonAsync(new Uri("/seed", UriKind.Relative), new IdentitySeedRequest(usernames, accounts.Passwords.CorrectHash), cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Identity could not seed the accounts: {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }
    }

    public async Task BeginRunAsync(CancellationToken cancellationToken) =>
        (await _http.PostAsync(new Uri("/stats/reset", UriKind.Relative), null, cancellationToken)).EnsureSuccessStatusCode();

    public async Task<RunAudit> AuditAsync(AccountSet accounts, LoadOutcome outcome, int? expectedLocks, CancellationToken cancellationToken, IReadOnlyList<string>? sources = null)
    {
        var stats = await ReadStatsAsync(accounts, cancellationToken);
        await using var command = _database.CreateCommand(AuditAccounts);
        command.Parameters.AddWithValue("Prefix", accounts.NormalizedPrefix + "%");
        command.Parameters.AddWithValue("LockoutDuration", LockoutDuration);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var locked = reader.GetInt64(0);
        var lastLock = reader.IsDBNull(1) ? (DateTime?)null : reader.GetDateTime(1);
        var peak = reader.GetInt64(2);

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
            shortfall.Add($"{expectedLocks - locked} of {expectedLocks} accounts are not locked in the database: Identity's lost increments");
        }

        // Locks are committed inside the requests: nothing is left to catch up once the last answer is in.
        var catchUp = lastLock is { } last && last > outcome.CompletedAtUtc ? last - outcome.CompletedAtUtc : TimeSpan.Zero;
        return new RunAudit(
            Verifications: stats.Verifications,
            // Per account only where the accounts are attacked (ordinary traffic verifies every login).
            MaxVerificationsPerAccount: expectedLocks == 0 ? 0 : stats.MaxVerificationsPerAccount,
            LockedAccounts: locked,
            LockRows: stats.Locks,
            PeakLocksPerSecond: peak,
            CatchUp: catchUp,
            LockLatencyP50Ms: stats.LockCommitP50Ms,
            LockLatencyP99Ms: stats.LockCommitP99Ms,
            Problems: problems,
            Notes: [
                .. stats.MaxVerificationsPerAccount > IdentityServer.MaxFailedAccessAttempts && expectedLocks > 0
                    ? [$"Identity verified up to {stats.MaxVerificationsPerAccount:N0} passwords for one account against a limit of {IdentityServer.MaxFailedAccessAttempts} (lost increments, aspnetcore #7689)"]
                    : Array.Empty<string>(),
                .. shortfall,
            ]);
    }

    /// <summary>Its own counts since the run began: passwords verified, and the verified ones it answered 401.</summary>
    public async Task<VerificationCount> CountVerificationsAsync(AccountSet accounts, CancellationToken cancellationToken)
    {
        var stats = await ReadStatsAsync(accounts, cancellationToken);
        return new VerificationCount(stats.Verifications, stats.AnsweredUnauthorized);
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _database.DisposeAsync();
        await _server.DisposeAsync();
    }

    private async Task<IdentityStatsResponse> ReadStatsAsync(AccountSet accounts, CancellationToken cancellationToken) =>
        await _http.GetFromJsonAsync<IdentityStatsResponse>(new Uri($"/stats?prefix={Uri.EscapeDataString(accounts.NormalizedPrefix)}", UriKind.Relative), cancellationToken)
            ?? throw new InvalidOperationException("The Identity server returned no stats.");
}

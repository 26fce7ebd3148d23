using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Lockout.Benchmarks.Load;
using Lockout.Benchmarks.Measurement;
using Npgsql;

namespace Lockout.Benchmarks.Systems;

/// <summary>
/// Lockout as its AppHost runs it in local mode (redis-server, PostgreSQL, librdkafka's mock Kafka cluster, the
/// writer and the API), started through Aspire.Hosting.Testing.
/// </summary>
internal sealed class LockoutSystem : ILoginSystem, IAsyncDisposable
{
    public const string DatabaseResource = "lockoutdb";
    public const int GuessBudget = 5;

    /// <summary>Smart mode's default account-wide cap: wrong passwords verified per hour across unfamiliar sources.</summary>
    public const int SmartAccountCap = 100;

    private const string DatabaseConnectionVariable = "ConnectionStrings__" + DatabaseResource;

    /// <summary>Npgsql's default pool size: the connections Lockout's API may hold, however many instances it runs.</summary>
    private const int ApiPoolSize = 100;

    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(4);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    private readonly DistributedApplication _app;
    private readonly NpgsqlDataSource _database;
    private readonly LockoutTables _tables;
    private readonly HttpClient _admin;
    private readonly TimeSpan _catchUpTimeout;

    private LockoutSystem(
        DistributedApplication app, LockoutPolicyMode mode, LockoutScale scale, string connectionString, string redisConnectionString, IReadOnlyList<IPEndPoint> apis, string adminApiKey, TimeSpan catchUpTimeout)
    {
        _app = app;
        Mode = mode;
        RedisConnectionString = redisConnectionString;
        DatabaseConnectionString = connectionString;
        _database = NpgsqlDataSource.Create(connectionString);
        _tables = new LockoutTables(_database);
        Scale = scale;
        LoginEndpoints = apis;
        _catchUpTimeout = catchUpTimeout;
        // The admin API answers from Redis, which the instances share: any instance will do.
        _admin = new HttpClient { BaseAddress = new Uri($"http://{LoginEndpoint}") };
        _admin.DefaultRequestHeaders.Add("X-Api-Key", adminApiKey);
        Processes = LockoutProcesses.Find(app, scale);
    }

    /// <summary>"Lockout" in Account mode (the default, as every earlier run), "Lockout Smart" in Smart mode.</summary>
    public string Name => Mode == LockoutPolicyMode.Smart ? SmartName : "Lockout";

    public const string SmartName = "Lockout Smart";

    public LockoutPolicyMode Mode { get; }

    public LockoutScale Scale { get; }

    /// <summary>The first API instance: the admin calls, and the wrk runs (one URL).</summary>
    public IPEndPoint LoginEndpoint => LoginEndpoints[0];

    /// <summary>
    /// Every API instance's own port. The built-in generator spreads its connections over them, as a client-side
    /// balancer would, rather than through the AppHost's gateway, which would take cores of its own on this machine.
    /// </summary>
    public IReadOnlyList<IPEndPoint> LoginEndpoints { get; }

    public string? DatabaseName => DatabaseResource;

    public bool UsesRedis => true;

    public string DatabaseConnectionString { get; }

    public string RedisConnectionString { get; }

    public NpgsqlDataSource Database => _database;

    public IReadOnlyList<ProcessGroup> Processes { get; }

    /// <param name="iterationCount">PasswordHasher iterations the API is configured with (its hashes and its decoy).</param>
    /// <param name="catchUpTimeout">How long to wait for the writer to commit a run's lock events.</param>
    /// <param name="perfMap">Have the services write perf maps (<c>DOTNET_PerfMapEnabled</c>), so <c>perf</c> can name their JIT-compiled code.</param>
    /// <param name="apiEnvironment">Extra environment for the API (settings under trial).</param>
    /// <param name="writerEnvironment">Extra environment for the writer.</param>
    /// <param name="mode">The API's <c>Lockout:Policy:Mode</c>.</param>
    /// <param name="scale">How many API instances, writers and Redis shards the AppHost starts.</param>
    public static async Task<LockoutSystem> StartAsync(
        LockoutPolicyMode mode,
        LockoutScale scale,
        int iterationCount,
        string logPath,
        TimeSpan catchUpTimeout,
        bool perfMap,
        IReadOnlyDictionary<string, string> apiEnvironment,
        IReadOnlyDictionary<string, string> writerEnvironment,
        CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartTimeout);

        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Lockout_AppHost>(
            ["--Infrastructure:Mode=local", .. scale.AppHostArguments],
            (options, _) => options.DisableDashboard = true,
            timeout.Token);

        var adminApiKey = RandomNumberGenerator.GetHexString(40);
        builder.Configuration["Parameters:admin-api-key"] = adminApiKey;

        // Ports of our own rather than the AppHost's 8080 (and 8081, ... for several instances), which a developer's
        // AppHost may hold.
        var apiPorts = scale.ApiNames.Select(_ => FreeLoopbackPort()).ToList();
        var apis = scale.ApiNames.Select((name, index) => builder.CreateResourceBuilder<ProjectResource>(name)
            .WithEnvironment("Lockout__PasswordHasher__IterationCount", iterationCount.ToString(CultureInfo.InvariantCulture))
            .WithEnvironment("Lockout__Policy__Mode", mode.ToString())
            // The load generator is one client on loopback. The account-budget scenarios measure the account budget
            // against the other systems, which throttle no source: loopback is on the source throttle's allow-list.
            .WithEnvironment("Lockout__Clients__Throttle__AllowList__0", "127.0.0.0/8")
            // The source scenarios act as many clients through X-Forwarded-For from documentation ranges, none of them
            // allow-listed: the API believes the header from loopback, as a deployment believes its proxy (Production
            // does not trust loopback by itself).
            .WithEnvironment("Lockout__Clients__TrustedProxies__0", "127.0.0.0/8")
            .WithEnvironment("Lockout__Clients__TrustedProxies__1", "::1/128")
            .WithEndpoint("http", endpoint =>
            {
                endpoint.Port = apiPorts[index];
                endpoint.TargetPort = apiPorts[index];
            })).ToList();
        if (scale.ApiInstances > 1)
        {
            // The gateway is not measured (the load goes to the instances), but it must not take 8080 either.
            var gatewayPort = FreeLoopbackPort();
            builder.CreateResourceBuilder<ProjectResource>("gateway").WithEndpoint("http", endpoint =>
            {
                endpoint.Port = gatewayPort;
                endpoint.TargetPort = gatewayPort;
            });
        }

        var writers = scale.WriterNames.Select(builder.CreateResourceBuilder<ProjectResource>).ToList();
        foreach (var service in (IEnumerable<IResourceBuilder<ProjectResource>>)[.. apis, .. writers])
        {
            var isApi = apis.Contains(service);
            service.WithEnvironment(context =>
            {
                // Errors on standard error, which the benchmark's log keeps (it drops the services' other lines).
                context.EnvironmentVariables["Logging__Console__LogToStandardErrorThreshold"] = "Error";
                // Run as deployed, not with the developer exception page and the development seed user.
                context.EnvironmentVariables["ASPNETCORE_ENVIRONMENT"] = "Production";
                context.EnvironmentVariables["DOTNET_ENVIRONMENT"] = "Production";
                // Without a dashboard the testing builder still points OTLP at localhost:4317, where nothing listens:
                // the exporters would retry into the void. Spans and metrics are still recorded, just not exported.
                context.EnvironmentVariables.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");
                if (isApi && scale.ApiInstances > 1)
                {
                    var poolSize = (ApiPoolSize / scale.ApiInstances).ToString(CultureInfo.InvariantCulture);
                    // The benchmark's PostgreSQL takes 300 connections and each system's pool up to 100 (Npgsql's
                    // default): the API instances share Lockout's 100, so the comparison keeps its shape.
                    context.EnvironmentVariables[DatabaseConnectionVariable] = context.EnvironmentVariables[DatabaseConnectionVariable] switch
                    {
                        ConnectionStringReference reference => ReferenceExpression.Create($"{reference};Maximum Pool Size={poolSize}"),
                        var other => throw new InvalidOperationException($"The API's {DatabaseConnectionVariable} is a {other.GetType().Name}, not a connection string reference."),
                    };
                }

                foreach (var (name, value) in isApi ? apiEnvironment : writerEnvironment)
                {
                    context.EnvironmentVariables[name] = value;
                }

                if (perfMap)
                {
                    context.EnvironmentVariables["DOTNET_PerfMapEnabled"] = "1";
                    // perf reads perf maps only for anonymous memory, not W^X's double-mapped code.
                    context.EnvironmentVariables["DOTNET_EnableWriteXorExecute"] = "0";
                }
            });
        }

        builder.Services.AddLogging(logging =>
        {
            logging.ClearProviders();
            logging.AddProvider(new FileLoggerProvider(logPath));
            logging.SetMinimumLevel(LogLevel.Information);
            // Each lock is a warning in the API's log: a wave would copy 100,000 of them into the file.
            logging.AddFilter("Lockout.AppHost.Resources", LogLevel.Error);
        });

        var app = await builder.BuildAsync(timeout.Token);
        try
        {
            await app.StartAsync(timeout.Token);
            // Every writer too: the backlog scenario stops them all, and each must be in the consumer group by then.
            foreach (var name in (IEnumerable<string>)[.. scale.ApiNames, .. scale.WriterNames])
            {
                await app.ResourceNotifications.WaitForResourceHealthyAsync(name, timeout.Token);
            }

            var connectionString = await app.GetConnectionStringAsync(DatabaseResource, timeout.Token)
                ?? throw new InvalidOperationException("The lockoutdb resource has no connection string.");
            var redisConnectionString = await app.GetConnectionStringAsync("redis", timeout.Token)
                ?? throw new InvalidOperationException("The redis resource has no connection string.");
            return new LockoutSystem(
                app, mode, scale, connectionString, redisConnectionString, [.. apiPorts.Select(port => new IPEndPoint(IPAddress.Loopback, port))], adminApiKey, catchUpTimeout);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    public Task SeedAsync(AccountSet accounts, CancellationToken cancellationToken) => _tables.SeedUsersAsync(accounts, cancellationToken);

    public Task BeginRunAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task<RunAudit> AuditAsync(AccountSet accounts, LoadOutcome outcome, int? expectedLocks, CancellationToken cancellationToken, IReadOnlyList<string>? sources = null)
    {
        var prefix = accounts.NormalizedPrefix + "%";
        var deadline = DateTime.UtcNow + _catchUpTimeout;
        var sourceNames = (sources ?? []).Select(address => Events.ClientSource.Of(IPAddress.Parse(address))).ToList();
        if (expectedLocks is null)
        {
            await WaitUntilDecisionsSettleAsync(prefix, sourceNames, deadline, cancellationToken);
        }

        while (await _tables.CountLockEventsAsync(prefix, cancellationToken) < expectedLocks && DateTime.UtcNow < deadline)
        {
            await Task.Delay(PollInterval, cancellationToken);
        }

        var events = await _tables.ReadLockEventsAsync(prefix, cancellationToken);
        var lockedRows = await _tables.CountLockedUsersAsync(prefix, cancellationToken);
        var decisions = await _tables.CountSourceDecisionsAsync(prefix, sourceNames, cancellationToken);

        List<string> problems = [];
        List<string> notes = [];
        if (sources is not null || decisions.Blocks > 0)
        {
            notes.Add($"accounts locked {lockedRows:N0}; source blocks on accounts (SOURCE_BLOCKED) {decisions.Blocks:N0}; sources throttled (SOURCE_THROTTLED) {decisions.ThrottledSources:N0} of {sourceNames.Count:N0}; answered 429 {outcome.Throttled:N0}");
        }

        if (events.Count < expectedLocks)
        {
            problems.Add($"{expectedLocks - events.Count} of {expectedLocks} lock events missing from LOCKOUT_EVENTS after {_catchUpTimeout.TotalSeconds:0} s.");
        }

        if (events.Count > events.Accounts)
        {
            problems.Add($"{events.Count - events.Accounts} duplicated lock events (LOCKOUT_EVENTS rows {events.Count}, accounts {events.Accounts}).");
        }

        if (lockedRows != events.Accounts)
        {
            problems.Add($"USERS has {lockedRows} LOCKED rows for {events.Accounts} accounts with a LOCKED event.");
        }

        // Every verified password is answered 200 or 401, except the failure that locks (423): one per lock event, and in
        // Smart mode the failure that blocks its source for the account (one per SOURCE_BLOCKED event).
        // wrk counts 401 and 423 as one figure, so its 401s are Redis's count (CountVerificationsAsync): the comparison
        // below then checks Redis's lock against the LOCKED event in PostgreSQL rather than the answers against Redis.
        var maxPerAccount = outcome.VerifiedAnswersByAccount.DefaultIfEmpty(0).Max() + (events.Accounts > 0 || decisions.Blocks > 0 ? 1 : 0);
        var verifications = outcome.Ok + outcome.Unauthorized + events.Accounts + decisions.Blocks;
        if (accounts.Count == 1 && Mode == LockoutPolicyMode.Smart)
        {
            // Many sources on one account: a failure can block its source and lock the account at once, so the answers
            // cannot say how many were verified. Redis's count of the account's failures (all sources, the cap's window) can.
            var failedAttempts = await ReadRedisFailedAttemptsAsync(accounts.Username(0), cancellationToken);
            notes.Add($"Redis failedAttempts {failedAttempts} (Smart mode: wrong passwords verified for the account, every source)");
            verifications = outcome.Ok + failedAttempts;
            maxPerAccount = failedAttempts;
            if (failedAttempts > SmartAccountCap)
            {
                problems.Add($"Lockout verified {failedAttempts} wrong passwords for one account; the account-wide cap is {SmartAccountCap}.");
            }
        }
        else if (accounts.Count == 1 && events.Accounts == 1)
        {
            var failedAttempts = await ReadRedisFailedAttemptsAsync(accounts.Username(0), cancellationToken);
            notes.Add(outcome.Generator == LoadGenerator.Wrk
                ? $"Redis failedAttempts {failedAttempts} (wrk: the verifications are Redis's count)"
                : $"Redis failedAttempts {failedAttempts}");
            if (failedAttempts != maxPerAccount)
            {
                problems.Add($"Redis counts {failedAttempts} failed attempts, the answers {maxPerAccount}.");
            }
        }

        // Runs that lock accounts attack them with wrong passwords only; ordinary traffic (mixed) spends no budget.
        // In Smart mode the budget is per source, so many sources on one account are held to the cap instead (above).
        if ((expectedLocks is null or > 0) && maxPerAccount > GuessBudget && !(accounts.Count == 1 && Mode == LockoutPolicyMode.Smart))
        {
            problems.Add($"Lockout verified {maxPerAccount} passwords for one account; the budget is {GuessBudget}.");
        }

        var lastRecorded = events.LastRecordedAt ?? outcome.CompletedAtUtc;
        return new RunAudit(
            Verifications: verifications,
            MaxVerificationsPerAccount: expectedLocks is null or > 0 ? maxPerAccount : 0,
            LockedAccounts: lockedRows,
            LockRows: events.Count,
            PeakLocksPerSecond: events.PeakPerSecond,
            CatchUp: lastRecorded > outcome.CompletedAtUtc ? lastRecorded - outcome.CompletedAtUtc : TimeSpan.Zero,
            LockLatencyP50Ms: events.LatencyP50Ms,
            LockLatencyP99Ms: events.LatencyP99Ms,
            Problems: problems,
            Notes: notes,
            LockSpan: events.FirstRecordedAt is { } first && events.LastRecordedAt is { } last ? last - first : TimeSpan.Zero);
    }

    /// <summary>Breaks and restores Redis, the broker, PostgreSQL, the writer and the API (the fault scenario).</summary>
    public LockoutFaultInjector Faults => new(_app, RedisConnectionString, DatabaseConnectionString, LoginEndpoint);

    /// <summary>
    /// For a run whose locks the policy decides (none known in advance): waits until the writer has recorded every
    /// decision, i.e. the run's LOCKED, SOURCE_BLOCKED and SOURCE_THROTTLED rows stop growing for a second.
    /// </summary>
    private async Task WaitUntilDecisionsSettleAsync(string prefix, IReadOnlyList<string> sources, DateTime deadline, CancellationToken cancellationToken)
    {
        var last = -1L;
        while (DateTime.UtcNow < deadline)
        {
            var decisions = await _tables.CountSourceDecisionsAsync(prefix, sources, cancellationToken);
            var count = await _tables.CountLockEventsAsync(prefix, cancellationToken) + decisions.Blocks + decisions.ThrottledSources;
            if (count == last)
            {
                return;
            }

            last = count;
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }
    }

    /// <summary>
    /// Stops every writer process where it stands (SIGSTOP) until the returned handle is disposed (SIGCONT): lock events
    /// pile up in Kafka as behind stalled or restarting writers, with the same processes to measure afterwards.
    /// </summary>
    public IDisposable FreezeWriters()
    {
        List<int> writers = [.. Processes.Where(group => LockoutScale.RoleOf(group.Role) == "writer").Select(group => group.Pids[0])];
        foreach (var writer in writers)
        {
            Signals.Send(writer, Signals.Stop);
        }

        return new Thaw(writers);
    }

    private sealed class Thaw(IReadOnlyList<int> pids) : IDisposable
    {
        public void Dispose()
        {
            foreach (var pid in pids)
            {
                Signals.Send(pid, Signals.Continue);
            }
        }
    }

    /// <summary>Redis's failed-attempt count (admin API): the failure that locks is answered 423, the others 401.</summary>
    public async Task<VerificationCount> CountVerificationsAsync(AccountSet accounts, CancellationToken cancellationToken)
    {
        var count = default(VerificationCount);
        for (var i = 0; i < accounts.Count; i++)
        {
            var status = await ReadRedisStateAsync(accounts.Username(i), cancellationToken);
            // The failure that locks the account, or (Smart mode) blocks its source for it, is answered 423.
            var refusedAtDecision = status.Locked ? 1 : Mode == LockoutPolicyMode.Smart ? await CountSourceBlocksAsync(accounts.Username(i), cancellationToken) : 0;
            count = new(count.Verified + status.FailedAttempts, count.AnsweredUnauthorized + status.FailedAttempts - refusedAtDecision);
        }

        return count;
    }

    public async ValueTask DisposeAsync()
    {
        _admin.Dispose();
        await _database.DisposeAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>The product's own count of the account's failed attempts (admin API, from Redis).</summary>
    private async Task<int> ReadRedisFailedAttemptsAsync(string username, CancellationToken cancellationToken) =>
        (await ReadRedisStateAsync(username, cancellationToken)).FailedAttempts;

    /// <summary>Whether Redis holds the account locked now (admin API).</summary>
    public async Task<bool> IsLockedInRedisAsync(string username, CancellationToken cancellationToken) =>
        (await ReadRedisStateAsync(username, cancellationToken)).Locked;

    private async Task<int> CountSourceBlocksAsync(string username, CancellationToken cancellationToken) =>
        (await _admin.GetFromJsonAsync<JsonElement>(new Uri($"/admin/users/{Uri.EscapeDataString(username)}/sources", UriKind.Relative), cancellationToken)).GetArrayLength();

    private async Task<AdminLockoutStatus> ReadRedisStateAsync(string username, CancellationToken cancellationToken) =>
        await _admin.GetFromJsonAsync<AdminLockoutStatus>(new Uri($"/admin/users/{Uri.EscapeDataString(username)}/lockout", UriKind.Relative), cancellationToken)
            ?? throw new InvalidOperationException($"The admin API returned no lockout status for {username}.");

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed record AdminLockoutStatus(int FailedAttempts, bool Locked, string? DbLockStatus);
}

/// <summary>Lockout's <c>Lockout:Policy:Mode</c>, as the benchmark starts it.</summary>
internal enum LockoutPolicyMode
{
    /// <summary>The seed's rule: five wrong passwords from anyone lock the account.</summary>
    Account,

    /// <summary>Failures count per source; an account-wide cap over unfamiliar sources.</summary>
    Smart,
}

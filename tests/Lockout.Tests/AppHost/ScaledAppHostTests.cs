using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Lockout.Api.Redis;
using Lockout.Events;
using Lockout.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using StackExchange.Redis;

namespace Lockout.Tests.AppHost;

/// <summary>
/// The AppHost as <c>--Scale:ApiReplicas=2 --Scale:WriterReplicas=2 --Scale:RedisShards=3</c> starts it in local mode:
/// a gateway on http://localhost:8080 in front of api-0 (8081) and api-1 (8082), writer-0 and writer-1 in one consumer
/// group, and a Redis Cluster of three primaries.
/// </summary>
public sealed class ScaledAppHostFixture : IAsyncLifetime
{
    public const string AdminApiKey = "scaled-end-to-end-admin-key-0123456789abcdef";
    public const string Password = "right";
    public static readonly string[] ApiInstances = ["api-0", "api-1"];
    public static readonly string[] Writers = ["writer-0", "writer-1"];
    public static readonly string[] Resources =
        ["redis", "redis-0", "redis-1", "redis-2", "kafka", "postgres", "lockoutdb", .. Writers, .. ApiInstances, "gateway"];

    // One PBKDF2 iteration: the waves verify tens of thousands of wrong passwords on two cores, and what is under test
    // is how many are verified, not what each costs.
    private const int IterationCount = 1;

    public DistributedApplication App { get; private set; } = null!;

    /// <summary>The gateway, at the address users are told.</summary>
    public HttpClient Gateway { get; } = Client("http://localhost:8080");

    /// <summary>Each API instance directly, in the order of <see cref="ApiInstances"/>.</summary>
    public HttpClient[] Instances { get; } = [Client("http://localhost:8081"), Client("http://localhost:8082")];

    public NpgsqlDataSource Database { get; private set; } = null!;

    public ConnectionMultiplexer Redis { get; private set; } = null!;

    public string PasswordHash { get; } = new PasswordHasher<object>(Options.Create(new PasswordHasherOptions { IterationCount = IterationCount }))
        .HashPassword(new object(), Password);

    public async ValueTask InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Lockout_AppHost>(
            ["--Infrastructure:Mode=local", $"--Parameters:admin-api-key={AdminApiKey}",
                "--Scale:ApiReplicas=2", "--Scale:WriterReplicas=2", "--Scale:RedisShards=3"],
            (options, _) => options.DisableDashboard = true,
            timeout.Token);
        foreach (var api in ApiInstances)
        {
            builder.CreateResourceBuilder<ProjectResource>(api)
                .WithEnvironment("Lockout__PasswordHasher__IterationCount", IterationCount.ToString(CultureInfo.InvariantCulture))
                // The waves come from one client on loopback; what they measure is the account budget, not the source throttle.
                .WithEnvironment("Lockout__Clients__Throttle__AllowList__0", "127.0.0.0/8")
                // A killed instance's reservations are freed when their lease runs out: 5 s rather than 30 keeps the kill tests short.
                .WithEnvironment("Lockout__Policy__ReservationLease", "00:00:05");
        }

        App = await builder.BuildAsync(timeout.Token);
        await App.StartAsync(timeout.Token);
        foreach (var resource in Resources)
        {
            await App.ResourceNotifications.WaitForResourceHealthyAsync(resource, timeout.Token);
        }

        Database = NpgsqlDataSource.Create(await App.GetConnectionStringAsync("lockoutdb", timeout.Token)
            ?? throw new InvalidOperationException("lockoutdb has no connection string."));
        var redis = ConfigurationOptions.Parse(await App.GetConnectionStringAsync("redis", timeout.Token)
            ?? throw new InvalidOperationException("redis has no connection string."));
        // A busy machine may take longer than the default 5 s to answer the first connect: retry rather than fail.
        redis.AbortOnConnectFail = false;
        redis.ConnectTimeout = 15_000;
        redis.AllowAdmin = true; // INFO commandstats: the budget test counts the commands a node ran
        Redis = await ConnectionMultiplexer.ConnectAsync(redis);
    }

    public async ValueTask DisposeAsync()
    {
        Gateway.Dispose();
        foreach (var instance in Instances)
        {
            instance.Dispose();
        }

        if (Redis is not null)
        {
            await Redis.DisposeAsync();
        }

        if (Database is not null)
        {
            await Database.DisposeAsync();
        }

        await App.StopAsync();
        await App.DisposeAsync();
    }

    /// <summary>Kills a service's processes with SIGKILL: no shutdown, no flush, as a crash or an OOM kill would.</summary>
    public void Kill(string resource)
    {
        Assert.True(App.ResourceNotifications.TryGetCurrentState(resource, out var state), resource);
        var pid = state.Snapshot.Properties.FirstOrDefault(property => property.Name == "executable.pid")?.Value
            ?? throw new InvalidOperationException($"{resource} shows no process id.");
        ProcessTree.Kill(Convert.ToInt32(pid, CultureInfo.InvariantCulture));
    }

    /// <summary>Starts a killed service again and waits until it is healthy, so the next test finds the full set.</summary>
    public async Task RestartAsync(string resource)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await App.ResourceNotifications.WaitForResourceAsync(resource, KnownResourceStates.TerminalStates, timeout.Token);
        var started = await App.ResourceCommands.ExecuteCommandAsync(resource, KnownResourceCommands.StartCommand, timeout.Token);
        Assert.True(started.Success, started.Message);
        await App.ResourceNotifications.WaitForResourceHealthyAsync(resource, timeout.Token);
    }

    /// <summary>Creates accounts <c>{prefix}{index:D5}</c> with <see cref="Password"/>, all at once with COPY.</summary>
    public async Task<string[]> SeedAsync(string prefix, int count)
    {
        var usernames = Enumerable.Range(0, count).Select(index => $"{prefix}{index.ToString("D5", CultureInfo.InvariantCulture)}").ToArray();
        await using var connection = await Database.OpenConnectionAsync();
        await using var import = await connection.BeginBinaryImportAsync(
            "COPY USERS (USERNAME, NORMALIZED_USERNAME, PASSWORD_HASH, LOCK_STATUS, LOCK_VERSION, CREATED_AT) FROM STDIN (FORMAT BINARY)");
        var now = DateTime.UtcNow;
        foreach (var username in usernames)
        {
            await import.StartRowAsync();
            await import.WriteAsync(username, NpgsqlDbType.Varchar);
            await import.WriteAsync(username.ToUpperInvariant(), NpgsqlDbType.Varchar);
            await import.WriteAsync(PasswordHash, NpgsqlDbType.Varchar);
            await import.WriteAsync("UNLOCKED", NpgsqlDbType.Varchar);
            await import.WriteAsync(0L, NpgsqlDbType.Bigint);
            await import.WriteAsync(now, NpgsqlDbType.TimestampTz);
        }

        await import.CompleteAsync();
        return usernames;
    }

    /// <summary>For the accounts whose normalized names start with the prefix: LOCKED rows in USERS, LOCKED events, and accounts with one.</summary>
    public async Task<(long LockedRows, long Events, long AccountsWithEvent)> CountLocksAsync(string prefix)
    {
        await using var command = Database.CreateCommand("""
            SELECT (SELECT COUNT(*) FROM USERS WHERE NORMALIZED_USERNAME LIKE @Prefix AND LOCK_STATUS = 'LOCKED'),
                   COUNT(*), COUNT(DISTINCT USERNAME)
              FROM LOCKOUT_EVENTS
             WHERE EVENT_TYPE = 'LOCKED' AND USERNAME LIKE @Prefix
            """);
        command.Parameters.AddWithValue("Prefix", prefix.ToUpperInvariant() + "%");
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }

    private static HttpClient Client(string address) =>
        new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = new Uri(address),
            Timeout = TimeSpan.FromSeconds(60),
        };
}

[Collection(AppHostCollection.Name)]
public sealed class ScaledAppHostTests(ScaledAppHostFixture appHost) : IClassFixture<ScaledAppHostFixture>
{
    private const int WaveAccounts = 10_000;
    private const int KillWaveAccounts = 3_000;
    private static readonly LockoutKeyspace Keyspace = new(Options.Create(new LockoutRedisOptions()));

    [Fact]
    public async Task A_thousand_concurrent_wrong_passwords_spread_over_both_api_instances_are_verified_five_times_and_lock_once()
    {
        var username = (await appHost.SeedAsync(WavePrefix("hot"), 1))[0];
        var node = NodeOf(Keyspace.Account(UsernameNormalizer.Normalize(username)).Leases);
        var settledBefore = await SettledAsync(node);

        var answers = await Task.WhenAll(Enumerable.Range(0, 1000).Select(async request =>
        {
            var instance = request % 2;
            using var response = await LoginAsync(appHost.Instances[instance], username, "wrong");
            return (Instance: instance, response.StatusCode);
        }));

        // A password is verified only under a reservation the budget granted, and each reservation, whichever instance
        // holds it, is ended by one script that removes it (ZREM) on the account's node; nothing else on that node
        // removes from a sorted set. The answers alone could not tell: a verification beyond the budget finds the
        // account locked when it settles, and is answered 423 like a refusal.
        Assert.Equal(5, await SettledAsync(node) - settledBefore);
        // A 401 is a verified wrong password; the fifth verification locked (423), as did every refusal after it.
        Assert.Equal(4, answers.Count(answer => answer.StatusCode == HttpStatusCode.Unauthorized));
        Assert.Equal(996, answers.Count(answer => answer.StatusCode == HttpStatusCode.Locked));
        Assert.All(new[] { 0, 1 }, instance => Assert.Equal(500, answers.Count(answer => answer.Instance == instance)));
        using var admin = AdminClient(appHost.Gateway);
        var events = await Poll.UntilAsync(
            () => admin.GetFromJsonAsync<JsonElement[]>($"/admin/users/{username}/events")!,
            rows => rows!.Length >= 1,
            what: "the LOCKED audit row");
        Assert.Single(events!);
        var lockout = await admin.GetFromJsonAsync<JsonElement>($"/admin/users/{username}/lockout");
        Assert.Equal(("LOCKED", 5), (lockout.GetProperty("dbLockStatus").GetString(), lockout.GetProperty("failedAttempts").GetInt32()));
        Assert.Equal(1, (await appHost.CountLocksAsync(username)).Events);
    }

    [Fact]
    public async Task A_wave_of_ten_thousand_accounts_over_both_instances_locks_each_once_in_the_database()
    {
        var prefix = WavePrefix("wave");
        var usernames = await appHost.SeedAsync(prefix, WaveAccounts);

        var wave = await RunWaveAsync(usernames, _ => { });

        Assert.Equal(WaveAccounts, wave.Locked);
        var locks = await Poll.UntilAsync(
            () => appHost.CountLocksAsync(prefix),
            counts => counts.LockedRows == WaveAccounts && counts.Events >= WaveAccounts,
            TimeSpan.FromSeconds(60),
            "every account's LOCKED row and event");
        Assert.Equal((WaveAccounts, WaveAccounts, WaveAccounts), locks);
        Assert.True(wave.AnsweredBy.All(count => count > WaveAccounts), $"both instances answered: {string.Join(", ", wave.AnsweredBy)}");
    }

    // api-1's relay owned about half the buckets; only api-0 taking them over brings their events to the database.
    [Fact]
    public Task An_api_instance_killed_mid_wave_leaves_its_outbox_entries_to_the_other_which_relays_each_once() =>
        KillMidWaveAsync("api-1", "apikill");

    // writer-1 held about half the partitions; until the group gives them to writer-0 their events wait in Kafka.
    [Fact]
    public Task A_writer_killed_mid_wave_hands_its_partitions_to_the_other_and_nothing_is_lost_or_applied_twice() =>
        KillMidWaveAsync("writer-1", "writerkill");

    [Fact]
    public async Task The_seed_walk_and_the_admin_unlock_work_through_the_gateway_on_port_8080()
    {
        using var admin = AdminClient(appHost.Gateway);
        var username = TestEnvironment.NewUsername("scaled-walk");
        (await admin.PostAsJsonAsync("/admin/users", new { username, password = "right" })).EnsureSuccessStatusCode();

        for (var attempt = 1; attempt <= 4; attempt++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await LoginAsync(appHost.Gateway, username, "wrong")).StatusCode);
        }

        Assert.Equal(HttpStatusCode.Locked, (await LoginAsync(appHost.Gateway, username, "wrong")).StatusCode);
        await Poll.UntilAsync(
            async () => (await admin.GetFromJsonAsync<JsonElement>($"/admin/users/{username}/lockout")).GetProperty("dbLockStatus").GetString() == "LOCKED",
            what: "the lock to reach the database");

        Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsync(new Uri($"/admin/users/{username}/unlock", UriKind.Relative), null)).StatusCode);
        // The unlock is decided in Redis, which both instances share; the instance that did not take it may refuse
        // from its one-second memory of locked accounts for up to that second (the documented bound; 2 s of slack
        // for a busy machine), never longer.
        foreach (var instance in appHost.Instances)
        {
            await Poll.UntilAsync(
                async () =>
                {
                    using var answer = await LoginAsync(instance, username, "right");
                    return answer.StatusCode == HttpStatusCode.OK;
                },
                TimeSpan.FromSeconds(3),
                $"{instance.BaseAddress} to let the unlocked user in");
        }

        Assert.Equal(HttpStatusCode.OK, (await LoginAsync(appHost.Gateway, username, "right")).StatusCode);
    }

    /// <summary>
    /// Kills <paramref name="resource"/> with SIGKILL a third into a wave of <see cref="KillWaveAccounts"/> accounts, then
    /// checks that every account has exactly one LOCKED row and one LOCKED event and that every outbox empties; starts
    /// the resource again for the next test.
    /// </summary>
    private async Task KillMidWaveAsync(string resource, string name)
    {
        var prefix = WavePrefix(name);
        var usernames = await appHost.SeedAsync(prefix, KillWaveAccounts);
        var killed = 0;
        try
        {
            var wave = await RunWaveAsync(usernames, progress =>
            {
                if (progress == KillWaveAccounts / 3 && Interlocked.Exchange(ref killed, 1) == 0)
                {
                    appHost.Kill(resource);
                }
            });
            await LockStragglersAsync(usernames);

            Assert.Equal(1, killed);
            Assert.Equal(KillWaveAccounts, wave.Locked);
            var locks = await Poll.UntilAsync(
                () => appHost.CountLocksAsync(prefix),
                counts => counts.LockedRows == KillWaveAccounts && counts.Events >= KillWaveAccounts,
                TimeSpan.FromSeconds(90),
                $"every account's LOCKED row and event after {resource} died");
            Assert.Equal((KillWaveAccounts, KillWaveAccounts, KillWaveAccounts), locks);
            await Poll.UntilAsync(async () => await OutboxDepthAsync() == 0, what: "every bucket's outbox to be empty");
        }
        finally
        {
            if (killed == 1)
            {
                await appHost.RestartAsync(resource);
            }
        }
    }

    /// <summary>
    /// Sends wrong passwords for every account until each is locked (423), from 64 concurrent clients, an account's
    /// attempts alternating between the instances; an instance that stops answering is given up for the other. A 503
    /// (Redis slower than the API's command timeout on a crowded machine) counted nothing and is tried again, as the
    /// API asks; what the wave proves is where the counted attempts end up.
    /// </summary>
    /// <param name="onAccountLocked">Called with the count of accounts locked so far, each time one locks.</param>
    private async Task<(int Locked, int[] AnsweredBy)> RunWaveAsync(string[] usernames, Action<int> onAccountLocked)
    {
        var next = -1;
        var locked = 0;
        var unavailable = 0;
        var answeredBy = new int[appHost.Instances.Length];
        var dead = new bool[appHost.Instances.Length];
        var started = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 64).Select(async _ =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < usernames.Length)
            {
                for (var attempt = 0; ; attempt++)
                {
                    Assert.True(attempt < 20, $"{usernames[index]} was not locked after 20 wrong passwords.");
                    var instance = (index + attempt) % answeredBy.Length;
                    if (Volatile.Read(ref dead[instance]))
                    {
                        instance = 1 - instance;
                    }

                    HttpStatusCode status;
                    try
                    {
                        using var response = await LoginAsync(appHost.Instances[instance], usernames[index], "wrong");
                        status = response.StatusCode;
                    }
                    catch (HttpRequestException)
                    {
                        Volatile.Write(ref dead[instance], true);
                        continue;
                    }

                    Interlocked.Increment(ref answeredBy[instance]);
                    if (status == HttpStatusCode.Locked)
                    {
                        onAccountLocked(Interlocked.Increment(ref locked));
                        break;
                    }

                    if (status == HttpStatusCode.ServiceUnavailable)
                    {
                        Interlocked.Increment(ref unavailable);
                        continue;
                    }

                    Assert.Equal(HttpStatusCode.Unauthorized, status);
                }
            }
        }));

        TestContext.Current.SendDiagnosticMessage(
            $"Wave of {usernames.Length} accounts locked in {started.Elapsed.TotalSeconds:0.0} s; answers by instance: {string.Join(", ", answeredBy)}; 503s tried again: {unavailable}.");
        return (locked, answeredBy);
    }

    /// <summary>
    /// Sends wrong passwords, through the instance alive, to the accounts Redis does not show locked, until it shows
    /// them all locked. An instance killed with requests in flight leaves their reservations behind; until their lease
    /// runs out the account's budget counts them, and its wrong passwords are refused (423) without locking it.
    /// </summary>
    private async Task LockStragglersAsync(string[] usernames)
    {
        var database = appHost.Redis.GetDatabase();
        await Poll.UntilAsync(
            async () =>
            {
                var states = await Task.WhenAll(usernames.Select(username => database.HashGetAsync(Keyspace.Account(UsernameNormalizer.Normalize(username)).State, "locked")));
                var open = usernames.Where((_, index) => states[index] != "1").ToList();
                foreach (var username in open)
                {
                    using var answer = await LoginAsync(appHost.Instances[0], username, "wrong");
                }

                return open.Count == 0;
            },
            TimeSpan.FromSeconds(60),
            "every account of the wave to be locked in Redis");
    }

    /// <summary>The Redis Cluster node that serves the key's slot.</summary>
    private IServer NodeOf(RedisKey key)
    {
        var endpoint = appHost.Redis.GetServers()[0].ClusterConfiguration?.GetBySlot(key)?.EndPoint
            ?? throw new InvalidOperationException($"No cluster node serves {key}.");
        return appHost.Redis.GetServer(endpoint);
    }

    /// <summary>ZREM commands the node has run, scripts' included (Redis counts the commands a script calls).</summary>
    private static async Task<long> SettledAsync(IServer node)
    {
        var stats = (await node.InfoAsync("commandstats")).SelectMany(section => section)
            .FirstOrDefault(stat => stat.Key == "cmdstat_zrem").Value;
        // "calls=12,usec=34,...": absent until the node has run its first ZREM.
        return stats is null ? 0 : long.Parse(stats.Split(',')[0]["calls=".Length..], CultureInfo.InvariantCulture);
    }

    private async Task<long> OutboxDepthAsync()
    {
        long depth = 0;
        var database = appHost.Redis.GetDatabase();
        foreach (var bucket in Keyspace.AllBuckets)
        {
            depth += await database.StreamLengthAsync(LockoutKeyspace.Outbox(bucket));
        }

        return depth;
    }

    private static string WavePrefix(string name) => $"{name}{Guid.NewGuid():N}"[..(name.Length + 8)] + "-";

    private static HttpClient AdminClient(HttpClient gateway)
    {
        var client = new HttpClient { BaseAddress = gateway.BaseAddress };
        client.DefaultRequestHeaders.Add("X-Api-Key", ScaledAppHostFixture.AdminApiKey);
        return client;
    }

    private static Task<HttpResponseMessage> LoginAsync(HttpClient client, string username, string password) =>
        client.PostAsJsonAsync("/login", new { username, password });
}

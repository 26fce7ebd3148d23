using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Lockout.Api.Redis;
using Lockout.Tests.Infrastructure;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Lockout.Tests.AppHost;

/// <summary>The whole AppHost in local mode, as <c>dotnet run --project src/Lockout.AppHost</c> starts it.</summary>
public sealed class AppHostFixture : IAsyncLifetime
{
    public const string AdminApiKey = "end-to-end-admin-key-0123456789abcdef";
    public static readonly string[] Resources = ["redis", "kafka", "postgres", "lockoutdb", "writer", "api"];

    public DistributedApplication App { get; private set; } = null!;

    /// <summary>The API at the address users are told: http://localhost:8080.</summary>
    public HttpClient Api { get; } = new() { BaseAddress = new Uri("http://localhost:8080"), Timeout = TimeSpan.FromSeconds(60) };

    public TimeSpan StartupTime { get; private set; }

    public async ValueTask InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var started = Stopwatch.StartNew();
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Lockout_AppHost>(
            ["--Infrastructure:Mode=local", $"--Parameters:admin-api-key={AdminApiKey}"],
            (options, _) => options.DisableDashboard = true,
            timeout.Token);
        App = await builder.BuildAsync(timeout.Token);
        await App.StartAsync(timeout.Token);
        foreach (var resource in Resources)
        {
            await App.ResourceNotifications.WaitForResourceHealthyAsync(resource, timeout.Token);
        }

        StartupTime = started.Elapsed;
    }

    public async ValueTask DisposeAsync()
    {
        Api.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}

[Collection(AppHostCollection.Name)]
public sealed class AppHostEndToEndTests(AppHostFixture appHost) : IClassFixture<AppHostFixture>
{
    [Fact]
    public async Task Every_resource_is_running_and_healthy_and_the_api_answers_health_on_port_8080()
    {
        foreach (var name in AppHostFixture.Resources)
        {
            Assert.True(appHost.App.ResourceNotifications.TryGetCurrentState(name, out var state), name);
            Assert.Equal(KnownResourceStates.Running, state.Snapshot.State?.Text);
            Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy, state.Snapshot.HealthStatus);
        }

        using var health = await appHost.Api.GetAsync(new Uri("/health", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.InRange(appHost.StartupTime, TimeSpan.Zero, TimeSpan.FromMinutes(2));
    }

    [Fact]
    public async Task The_seed_walk_works_end_to_end_and_the_audit_row_holds_the_trace_of_the_locking_login()
    {
        using var admin = AdminClient();
        var username = TestEnvironment.NewUsername("e2e");
        (await admin.PostAsJsonAsync("/admin/users", new { username, password = "right" })).EnsureSuccessStatusCode();

        for (var attempt = 1; attempt <= 4; attempt++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await LoginAsync(username, "wrong")).StatusCode);
        }

        using var locking = await LoginAsync(username, "wrong");
        Assert.Equal(HttpStatusCode.Locked, locking.StatusCode);
        var traceId = ActivityContext.Parse(locking.Headers.GetValues("traceparent").Single(), null).TraceId.ToHexString();
        Assert.Equal(HttpStatusCode.Locked, (await LoginAsync(username, "right")).StatusCode);

        var events = await Poll.UntilAsync(
            () => admin.GetFromJsonAsync<JsonElement[]>($"/admin/users/{username}/events")!,
            rows => rows!.Length == 1,
            what: "the LOCKED audit row");
        Assert.Equal(("LOCKED", traceId), (events![0].GetProperty("type").GetString(), events[0].GetProperty("traceId").GetString()));
        var lockout = await admin.GetFromJsonAsync<JsonElement>($"/admin/users/{username}/lockout");
        Assert.Equal(("LOCKED", 5), (lockout.GetProperty("dbLockStatus").GetString(), lockout.GetProperty("failedAttempts").GetInt32()));

        Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsync(new Uri($"/admin/users/{username}/unlock", UriKind.Relative), null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await LoginAsync(username, "right")).StatusCode);
    }

    [Fact]
    public async Task A_thousand_concurrent_wrong_passwords_lock_once_through_port_8080()
    {
        using var admin = AdminClient();
        var username = TestEnvironment.NewUsername("e2e-hot");
        (await admin.PostAsJsonAsync("/admin/users", new { username, password = "right" })).EnsureSuccessStatusCode();

        var statuses = await Task.WhenAll(Enumerable.Range(0, 1000).Select(async _ =>
        {
            using var response = await LoginAsync(username, "wrong");
            return response.StatusCode;
        }));

        // Four answers were a verified wrong password; the fifth verification locked; everything else was refused unverified.
        Assert.Equal(4, statuses.Count(status => status == HttpStatusCode.Unauthorized));
        Assert.Equal(996, statuses.Count(status => status == HttpStatusCode.Locked));
        var events = await Poll.UntilAsync(
            () => admin.GetFromJsonAsync<JsonElement[]>($"/admin/users/{username}/events")!,
            rows => rows!.Length >= 1,
            what: "the LOCKED audit row");
        Assert.Single(events!);
        var lockout = await admin.GetFromJsonAsync<JsonElement>($"/admin/users/{username}/lockout");
        Assert.Equal(5, lockout.GetProperty("failedAttempts").GetInt32());
    }

    [Fact]
    public async Task A_broker_outage_started_from_the_dashboard_holds_locks_in_the_outbox_until_it_ends()
    {
        using var admin = AdminClient();
        var username = TestEnvironment.NewUsername("e2e-outage");
        (await admin.PostAsJsonAsync("/admin/users", new { username, password = "right" })).EnsureSuccessStatusCode();
        await using var redis = await ConnectionMultiplexer.ConnectAsync(
            await appHost.App.GetConnectionStringAsync("redis") ?? throw new InvalidOperationException("Redis has no connection string."));
        var outbox = redis.GetDatabase();

        var started = await appHost.App.ResourceCommands.ExecuteCommandAsync("kafka", "start-broker-outage");
        Assert.True(started.Success, started.Message);
        try
        {
            for (var attempt = 1; attempt <= 5; attempt++)
            {
                using var _ = await LoginAsync(username, "wrong");
            }

            Assert.Equal(HttpStatusCode.Locked, (await LoginAsync(username, "right")).StatusCode);

            // Only the outage keeps the event there: with the broker up the relay, woken by the script that appended it,
            // sends it and removes it within milliseconds. Here it is still waiting seconds later.
            await Poll.UntilAsync(
                async () => await WaitingForAsync(outbox, username) >= TimeSpan.FromSeconds(3),
                TimeSpan.FromSeconds(20),
                "the LOCKED event to wait in the outbox");
            var lockout = await admin.GetFromJsonAsync<JsonElement>($"/admin/users/{username}/lockout");
            Assert.Equal("UNLOCKED", lockout.GetProperty("dbLockStatus").GetString());
        }
        finally
        {
            var ended = await appHost.App.ResourceCommands.ExecuteCommandAsync("kafka", "end-broker-outage");
            Assert.True(ended.Success, ended.Message);
        }

        await Poll.UntilAsync(
            async () => (await admin.GetFromJsonAsync<JsonElement>($"/admin/users/{username}/lockout")).GetProperty("dbLockStatus").GetString() == "LOCKED",
            TimeSpan.FromSeconds(60),
            "the lock to reach the database after the outage");
        await Poll.UntilAsync(async () => await WaitingForAsync(outbox, username) is null, what: "the event to leave the outbox");
        Assert.Single(await admin.GetFromJsonAsync<JsonElement[]>($"/admin/users/{username}/events") ?? []);
    }

    private static readonly LockoutKeyspace Keyspace = new(Options.Create(new LockoutRedisOptions()));

    /// <summary>How long the account's event has been in its bucket's outbox (stream ids are times); null when it is not.</summary>
    private static async Task<TimeSpan?> WaitingForAsync(IDatabase redis, string username)
    {
        var normalized = username.ToUpperInvariant();
        var entries = (await redis.StreamRangeAsync(Keyspace.Account(normalized).Outbox)).Where(e => e["username"] == normalized).ToList();
        if (entries.Count == 0)
        {
            return null;
        }

        var entry = entries[0];
        var appendedAt = DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(entry.Id.ToString().Split('-')[0], System.Globalization.CultureInfo.InvariantCulture));
        return DateTimeOffset.UtcNow - appendedAt;
    }

    private HttpClient AdminClient()
    {
        var client = new HttpClient { BaseAddress = appHost.Api.BaseAddress };
        client.DefaultRequestHeaders.Add("X-Api-Key", AppHostFixture.AdminApiKey);
        return client;
    }

    private Task<HttpResponseMessage> LoginAsync(string username, string password) =>
        appHost.Api.PostAsJsonAsync("/login", new { username, password });
}

/// <summary>
/// One AppHost at a time: each owns port 8080. The classes of this collection run one after the other, each starting
/// its AppHost in a class fixture that stops when the class is done.
/// </summary>
[CollectionDefinition(Name)]
public sealed class AppHostCollection
{
    public const string Name = "AppHost";
}

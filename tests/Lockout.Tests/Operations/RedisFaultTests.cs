using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lockout.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Lockout.Tests.Operations;

/// <summary>
/// The API on a redis-server of its own, which these tests pause and kill: Redis trouble costs requests a quick 503
/// and never the process.
/// </summary>
public sealed class RedisFaultTests(LocalInfrastructureFixture infrastructure) : IAsyncLifetime
{
    private const string Password = "right";

    private TestEnvironment _environment = null!;
    private RedisServerProcess _redis = null!;
    private WriterHost _writer = null!;
    private ApiHost _api = null!;

    public async ValueTask InitializeAsync()
    {
        _environment = await infrastructure.CreateEnvironmentAsync();
        _redis = await RedisServerProcess.StartAsync(appendFsync: "always");
        var settings = _redis.ApiSettings();
        settings["Lockout:PasswordHasher:IterationCount"] = "1000";
        _writer = new WriterHost(_environment, settings).Start();
        _api = new ApiHost(_environment, settings);
        _ = _api.Server;
    }

    public async ValueTask DisposeAsync()
    {
        await _api.DisposeAsync();
        await _writer.DisposeAsync();
        _redis.Dispose();
        await _environment.DisposeAsync();
    }

    [Fact]
    public async Task A_ten_second_redis_pause_costs_requests_a_quick_503_and_the_api_and_its_relay_work_again_after_it()
    {
        var username = TestEnvironment.NewUsername("pause");
        await _api.CreateUserAsync(username, Password);
        using var client = _api.CreateClient();
        Assert.Equal(HttpStatusCode.OK, await LoginAsync(client, username, Password));

        _redis.Pause();
        HttpStatusCode paused;
        TimeSpan answeredIn;
        try
        {
            var watch = Stopwatch.StartNew();
            paused = await LoginAsync(client, username, "wrong");
            answeredIn = watch.Elapsed;

            // Long enough for the relay's own heartbeat and reads to time out against the paused server.
            await Poll.UntilAsync(() => Task.FromResult(watch.Elapsed > TimeSpan.FromSeconds(10)), TimeSpan.FromSeconds(20), "ten seconds of pause");
        }
        finally
        {
            _redis.Resume();
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, paused);
        Assert.True(answeredIn < TimeSpan.FromSeconds(5), $"A login waited {answeredIn} on the paused Redis.");

        // Logins are answered again, and a lock decided now still travels through the relay to the database.
        await Poll.UntilAsync(async () => await LoginAsync(client, username, Password) == HttpStatusCode.OK, TimeSpan.FromSeconds(10), "logins after the pause");
        // Exactly five: the reservation the paused Redis ran when it woke was given back.
        var answers = new List<HttpStatusCode>();
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            answers.Add(await LoginAsync(client, username, "wrong"));
        }

        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.Unauthorized, 4), HttpStatusCode.Locked], answers);
        await Poll.UntilAsync(async () => await _environment.LockStatusAsync(username) == "LOCKED", TimeSpan.FromSeconds(30), "the lock to reach USERS");
        Assert.False(_api.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested);
        Assert.All(_api.Services.GetServices<IHostedService>().OfType<BackgroundService>(), service => Assert.False(service.ExecuteTask?.IsFaulted));
    }

    [Fact]
    public async Task With_redis_down_a_login_gets_503_problem_details_and_the_attempt_is_not_counted()
    {
        var username = TestEnvironment.NewUsername("redis-down");
        await _api.CreateUserAsync(username, Password);
        using var client = _api.CreateClient();
        using var admin = _api.CreateAdminClient();

        _redis.Pause();
        HttpResponseMessage response;
        try
        {
            response = await client.PostAsJsonAsync("/login", new { username, password = "wrong" });
        }
        finally
        {
            _redis.Resume();
        }

        using (response)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        var state = await Poll.UntilAsync(
            async () =>
            {
                try
                {
                    return await admin.GetFromJsonAsync<JsonElement>($"/admin/users/{username}/lockout");
                }
                catch (HttpRequestException)
                {
                    return default;
                }
            },
            state => state.ValueKind == JsonValueKind.Object,
            TimeSpan.FromSeconds(10),
            "the admin API after the pause");
        Assert.Equal(0, state.GetProperty("failedAttempts").GetInt32());
    }

    [Fact]
    public async Task A_lock_decided_before_redis_is_killed_and_restarted_from_its_append_only_file_reaches_the_database()
    {
        var username = TestEnvironment.NewUsername("aof");
        await _api.CreateUserAsync(username, Password);
        using var client = _api.CreateClient();
        _environment.Kafka.SetBrokersDown();
        try
        {
            for (var attempt = 1; attempt <= 5; attempt++)
            {
                await LoginAsync(client, username, "wrong");
            }

            // The decision is in the outbox only: Kafka is away. This server syncs its append-only file on every
            // write, so the kill cannot fall inside the one-second window production accepts (see the README).
            Assert.Equal(1, await OutboxDepthAsync());
            await _redis.KillAndRestartAsync();
            Assert.Equal(1, await OutboxDepthAsync());
        }
        finally
        {
            _environment.Kafka.SetBrokersUp();
        }

        await Poll.UntilAsync(async () => await _environment.LockStatusAsync(username) == "LOCKED", TimeSpan.FromSeconds(60), "the lock to reach USERS");
        Assert.Single(await _environment.AuditRowsAsync(username));
        Assert.Equal(HttpStatusCode.Locked, await LoginAsync(client, username, Password));
    }

    private async Task<long> OutboxDepthAsync()
    {
        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
        var database = redis.GetDatabase();
        var lengths = await Task.WhenAll(Enumerable.Range(0, new Lockout.Api.Redis.LockoutRedisOptions().Buckets)
            .Select(bucket => database.StreamLengthAsync(Lockout.Api.Redis.LockoutKeyspace.Outbox(bucket))));
        return lengths.Sum();
    }

    private static async Task<HttpStatusCode> LoginAsync(HttpClient client, string username, string password)
    {
        using var response = await client.PostAsJsonAsync("/login", new { username, password });
        return response.StatusCode;
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Lockout.Api.Redis;
using Lockout.Benchmarks.Infrastructure;
using Lockout.Tests.Infrastructure;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Lockout.Tests.Operations;

/// <summary>
/// The API on a two-node Redis Cluster, one node of which is paused: a login whose account lives on the paused node
/// gets its 503 within about a second although the other node keeps answering, and logins on the other node are
/// answered normally all the while.
/// </summary>
[Collection(RunsAloneCollection.Name)] // timed against a second
public sealed class ShardedRedisFaultTests(LocalInfrastructureFixture infrastructure) : IAsyncLifetime
{
    private const string Password = "right";

    // A second of silence, and some room for a loaded test machine.
    private static readonly TimeSpan QuickAnswer = TimeSpan.FromSeconds(1.5);

    private static readonly LockoutKeyspace Keyspace = new(Options.Create(new LockoutRedisOptions()));

    private TestEnvironment _environment = null!;
    private StandaloneRedis _cluster = null!;
    private ConnectionMultiplexer _redis = null!;
    private ApiHost _api = null!;

    public async ValueTask InitializeAsync()
    {
        _environment = await infrastructure.CreateEnvironmentAsync();
        _cluster = await StandaloneRedis.StartAsync(shards: 2, TestContext.Current.CancellationToken);
        _redis = await ConnectionMultiplexer.ConnectAsync(_cluster.ConnectionString);
        _api = new ApiHost(_environment, new Dictionary<string, string?>
        {
            ["ConnectionStrings:redis"] = _cluster.ConnectionString,
            ["ConnectionStrings:redis-relay"] = _cluster.ConnectionString,
            ["Lockout:PasswordHasher:IterationCount"] = "1000",
            // Production's silence limit (the test environment's is longer): this test is about it.
            ["Lockout:Redis:SilenceLimit"] = new LockoutRedisOptions().SilenceLimit.ToString(),
            // Every source allow-listed, so that a login's Redis work is its account's alone, on its account's node.
            ["Lockout:Clients:Throttle:AllowList:0"] = "0.0.0.0/0",
            ["Lockout:Clients:Throttle:AllowList:1"] = "::/0",
        });
        _ = _api.Server;
    }

    public async ValueTask DisposeAsync()
    {
        await _api.DisposeAsync();
        await _redis.DisposeAsync();
        _cluster.Dispose();
        await _environment.DisposeAsync();
    }

    [Fact]
    public async Task A_paused_shard_costs_its_own_logins_a_quick_503_while_the_other_shard_answers_its_logins_normally()
    {
        var onPaused = await CreateUserOnNodeAsync(0);
        var onLive = await CreateUserOnNodeAsync(1);
        using var client = _api.CreateClient();
        Assert.Equal(HttpStatusCode.OK, await LoginAsync(client, onPaused));
        Assert.Equal(HttpStatusCode.OK, await LoginAsync(client, onLive));

        var live = new List<HttpStatusCode>();
        var paused = new List<(HttpStatusCode Status, TimeSpan Took)>();
        Signal(0, "STOP");
        try
        {
            // The live node's logins, one after another through the pause: Redis keeps answering, on the other node.
            using var stop = new CancellationTokenSource();
            var liveLogins = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    live.Add(await LoginAsync(client, onLive));
                }
            });

            for (var attempt = 0; attempt < 3; attempt++)
            {
                var watch = Stopwatch.StartNew();
                paused.Add((await LoginAsync(client, onPaused), watch.Elapsed));
            }

            await stop.CancelAsync();
            await liveLogins;
        }
        finally
        {
            Signal(0, "CONT");
        }

        var described = string.Join(", ", paused.Select(answer => $"{(int)answer.Status} in {answer.Took.TotalMilliseconds:0} ms"));
        Assert.All(paused, answer => Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.Status));
        Assert.True(paused.All(answer => answer.Took < QuickAnswer), $"Logins on the paused node waited: {described}.");
        Assert.NotEmpty(live);
        Assert.All(live, status => Assert.Equal(HttpStatusCode.OK, status));
        await Poll.UntilAsync(async () => await LoginAsync(client, onPaused) == HttpStatusCode.OK, TimeSpan.FromSeconds(15), "a login on the resumed node");
    }

    /// <summary>A user whose account's keys live on the given node.</summary>
    private async Task<string> CreateUserOnNodeAsync(int node)
    {
        var endpoint = _redis.GetServer(IPAddress.Loopback, _cluster.Ports[node]).EndPoint;
        while (true)
        {
            var username = TestEnvironment.NewUsername("shard");
            if (_redis.GetServer(Keyspace.Account(username.ToUpperInvariant()).State).EndPoint.Equals(endpoint))
            {
                await _api.CreateUserAsync(username, Password);
                return username;
            }
        }
    }

    private void Signal(int node, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", _cluster.ProcessIds[node].ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    private static async Task<HttpStatusCode> LoginAsync(HttpClient client, string username)
    {
        using var response = await client.PostAsJsonAsync("/login", new { username, password = Password });
        return response.StatusCode;
    }
}

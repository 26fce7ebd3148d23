using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lockout.Api.Outbox;
using Lockout.Api.Redis;
using Lockout.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Lockout.Tests.Operations;

/// <summary>The relay parks what Kafka will never take, hands buckets over when a relay dies, and the outbox is bounded.</summary>
public sealed class OutboxRelayTests(LocalInfrastructureFixture infrastructure) : IAsyncLifetime
{
    private const string Password = "right";

    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Lockout:PasswordHasher:IterationCount"] = "1000",
        // Kafka refuses a message larger than this (the producer checks it): an entry with a huge username.
        ["Aspire:Confluent:Kafka:Producer:Config:MessageMaxBytes"] = "4000",
        ["Lockout:Outbox:HeartbeatTimeToLive"] = "00:00:03",
        ["Lockout:Outbox:SweepInterval"] = "00:00:01",
    };

    private TestEnvironment _environment = null!;
    private WriterHost _writer = null!;

    public async ValueTask InitializeAsync()
    {
        _environment = await infrastructure.CreateEnvironmentAsync();
        _writer = new WriterHost(_environment, Settings).Start();
    }

    public async ValueTask DisposeAsync()
    {
        await _writer.DisposeAsync();
        await _environment.DisposeAsync();
    }

    [Fact]
    public async Task An_entry_kafka_refuses_for_good_and_an_unreadable_one_are_parked_with_their_reasons_and_the_events_behind_them_are_relayed()
    {
        await using var api = StartApi();
        var username = TestEnvironment.NewUsername("behind");
        await api.CreateUserAsync(username, Password);
        var bucket = Keyspace.BucketOf(username.ToUpperInvariant());
        var outbox = LockoutKeyspace.Outbox(bucket);
        _environment.Kafka.SetBrokersDown();
        try
        {
            await _environment.RedisDatabase.StreamAddAsync(outbox, OutboxEntry(new string('X', 3000)));
            await _environment.RedisDatabase.StreamAddAsync(outbox, [new NameValueEntry("type", "LOCKED"), new NameValueEntry("username", "no id, no version")]);
            using var client = api.CreateClient();
            for (var attempt = 1; attempt <= 5; attempt++)
            {
                using var _ = await client.PostAsJsonAsync("/login", new { username, password = "wrong" });
            }
        }
        finally
        {
            _environment.Kafka.SetBrokersUp();
        }

        await Poll.UntilAsync(async () => await _environment.LockStatusAsync(username) == "LOCKED", TimeSpan.FromSeconds(60), "the lock behind the bad entries");
        var parked = await _environment.RedisDatabase.StreamRangeAsync(LockoutKeyspace.ParkedOutbox(bucket));
        Assert.Equal(2, parked.Length);
        var reasons = parked.ToDictionary(entry => Field(entry, "username"), entry => Field(entry, "parkedReason"));
        Assert.Contains("MsgSizeTooLarge", reasons[new string('X', 3000)], StringComparison.Ordinal);
        Assert.Contains("not a lock event", reasons["no id, no version"], StringComparison.Ordinal);
        Assert.Equal(0, await _environment.RedisDatabase.StreamLengthAsync(outbox));
    }

    [Fact]
    public async Task A_relay_that_died_with_events_in_its_buckets_has_them_relayed_by_another()
    {
        var usernames = Enumerable.Range(0, 6).Select(_ => TestEnvironment.NewUsername("orphan")).ToList();
        var first = StartApi();
        _environment.Kafka.SetBrokersDown();
        try
        {
            foreach (var username in usernames)
            {
                await first.CreateUserAsync(username, Password);
                using var client = first.CreateClient();
                for (var attempt = 1; attempt <= 5; attempt++)
                {
                    using var _ = await client.PostAsJsonAsync("/login", new { username, password = "wrong" });
                }
            }

            Assert.Equal(usernames.Count, await _environment.OutboxDepthAsync());
        }
        finally
        {
            // The only relay dies with every event still in its buckets, its heartbeat left behind.
            await first.DisposeAsync();
            _environment.Kafka.SetBrokersUp();
        }

        await using var second = StartApi();
        _ = second.Server;

        foreach (var username in usernames)
        {
            await Poll.UntilAsync(async () => await _environment.LockStatusAsync(username) == "LOCKED", TimeSpan.FromSeconds(60), $"{username} LOCKED");
            Assert.Single(await _environment.AuditRowsAsync(username));
        }

        Assert.Equal(0, await _environment.OutboxDepthAsync());
    }

    [Fact]
    public async Task With_the_outbox_full_a_login_that_could_lock_gets_503_uncounted_and_locks_once_kafka_takes_the_events()
    {
        // One event per bucket: small enough to fill in a test.
        await using var api = StartApi(new() { ["Lockout:Redis:OutboxCapacity"] = "16" });
        var filler = TestEnvironment.NewUsername("filler");
        var bucket = Keyspace.BucketOf(filler.ToUpperInvariant());
        var victim = Enumerable.Range(0, 1000).Select(_ => TestEnvironment.NewUsername("victim")).First(name => Keyspace.BucketOf(name.ToUpperInvariant()) == bucket);
        await api.CreateUserAsync(filler, Password);
        await api.CreateUserAsync(victim, Password);
        using var client = api.CreateClient();
        using var admin = api.CreateAdminClient();

        _environment.Kafka.SetBrokersDown();
        List<HttpStatusCode> answers;
        try
        {
            await FailAsync(client, filler, 5); // its LOCKED event fills the bucket's share of the outbox
            answers = await FailAsync(client, victim, 5);
            var state = await admin.GetFromJsonAsync<JsonElement>($"/admin/users/{victim}/lockout");
            Assert.Equal((4, false), (state.GetProperty("failedAttempts").GetInt32(), state.GetProperty("locked").GetBoolean()));
        }
        finally
        {
            _environment.Kafka.SetBrokersUp();
        }

        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.Unauthorized, 4), HttpStatusCode.ServiceUnavailable], answers);
        await Poll.UntilAsync(async () => await _environment.OutboxDepthAsync() == 0, TimeSpan.FromSeconds(60), "Kafka to take the filler's event");
        Assert.Equal([HttpStatusCode.Locked], await FailAsync(client, victim, 1));
        await Poll.UntilAsync(async () => await _environment.LockStatusAsync(victim) == "LOCKED", TimeSpan.FromSeconds(60), "the victim's lock in USERS");
    }

    private static LockoutKeyspace Keyspace { get; } = new(Options.Create(new LockoutRedisOptions()));

    private ApiHost StartApi(Dictionary<string, string?>? extra = null)
    {
        var api = new ApiHost(_environment, Settings.Concat(extra ?? []).ToDictionary());
        _ = api.Server;
        return api;
    }

    private static async Task<List<HttpStatusCode>> FailAsync(HttpClient client, string username, int times)
    {
        var answers = new List<HttpStatusCode>();
        for (var attempt = 1; attempt <= times; attempt++)
        {
            using var response = await client.PostAsJsonAsync("/login", new { username, password = "wrong" });
            answers.Add(response.StatusCode);
        }

        return answers;
    }

    private static NameValueEntry[] OutboxEntry(string username) =>
    [
        new("eventId", Guid.CreateVersion7().ToString()), new("type", "LOCKED"), new("username", username),
        new("occurredAt", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()), new("attempts", 5),
        new("version", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()), new("lockedUntil", 0), new("traceparent", ""),
    ];

    private static string Field(StreamEntry entry, string name) => entry.Values.Single(value => value.Name == name).Value.ToString();
}

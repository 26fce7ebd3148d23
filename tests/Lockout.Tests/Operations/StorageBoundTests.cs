using System.Net;
using System.Net.Http.Json;
using Lockout.Api.Redis;
using Lockout.Tests.Infrastructure;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Lockout.Tests.Operations;

/// <summary>What Lockout keeps is bounded: made-up usernames are forgotten after a retention, every key has an end.</summary>
public sealed class StorageBoundTests(LocalInfrastructureFixture infrastructure) : IAsyncLifetime
{
    private const string Password = "right";
    private static readonly TimeSpan Retention = TimeSpan.FromSeconds(3);
    private static readonly LockoutKeyspace Keyspace = new(Options.Create(new LockoutRedisOptions()));

    private TestEnvironment _environment = null!;
    private WriterHost _writer = null!;
    private ApiHost _api = null!;

    public async ValueTask InitializeAsync()
    {
        _environment = await infrastructure.CreateEnvironmentAsync();
        var settings = new Dictionary<string, string?>
        {
            ["Lockout:PasswordHasher:IterationCount"] = "1000",
            ["Lockout:Redis:UnknownUserRetention"] = Retention.ToString(),
            ["Lockout:Writer:UnknownUserAuditRetention"] = Retention.ToString(),
            ["Lockout:Writer:RetentionInterval"] = "00:00:01",
        };
        _writer = new WriterHost(_environment, settings).Start();
        _api = new ApiHost(_environment, settings);
        _ = _api.Server;
    }

    public async ValueTask DisposeAsync()
    {
        await _api.DisposeAsync();
        await _writer.DisposeAsync();
        await _environment.DisposeAsync();
    }

    [Fact]
    public async Task A_lock_on_a_made_up_username_and_its_audit_row_are_forgotten_after_the_retention_and_a_real_accounts_are_kept()
    {
        var real = TestEnvironment.NewUsername("real");
        var madeUp = TestEnvironment.NewUsername("madeup");
        await _api.CreateUserAsync(real, Password);
        using var client = _api.CreateClient();
        foreach (var username in new[] { real, madeUp })
        {
            Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.Unauthorized, 4), HttpStatusCode.Locked, HttpStatusCode.Locked], await FailAsync(client, username, 6));
            await Poll.UntilAsync(async () => (await _environment.AuditRowsAsync(username)).Count == 1, what: $"{username}'s audit row");
        }

        var madeUpState = Keyspace.Account(madeUp.ToUpperInvariant()).State;
        var ttl = await _environment.RedisDatabase.KeyTimeToLiveAsync(madeUpState);
        Assert.InRange(ttl!.Value, TimeSpan.FromMilliseconds(1), Retention);
        Assert.Null(await _environment.RedisDatabase.KeyTimeToLiveAsync(Keyspace.Account(real.ToUpperInvariant()).State));

        await Poll.UntilAsync(async () => !await _environment.RedisDatabase.KeyExistsAsync(madeUpState), what: "the made-up name's lock to expire");
        await Poll.UntilAsync(async () => (await _environment.AuditRowsAsync(madeUp)).Count == 0, what: "the made-up name's audit row to be forgotten");

        Assert.Equal([HttpStatusCode.Unauthorized], await FailAsync(client, madeUp, 1));
        Assert.Equal([HttpStatusCode.Locked], await FailAsync(client, real, 1));
        Assert.Single(await _environment.AuditRowsAsync(real));
    }

    [Fact]
    public async Task After_logins_locks_and_an_unlock_every_key_has_an_expiry_or_is_one_of_the_documented_bounded_kinds()
    {
        var known = TestEnvironment.NewUsername("known");
        var other = TestEnvironment.NewUsername("other");
        await _api.CreateUserAsync(known, Password);
        await _api.CreateUserAsync(other, Password);
        using var client = _api.CreateClient();
        using var admin = _api.CreateAdminClient();
        await FailAsync(client, known, 5);
        await FailAsync(client, other, 2);
        await FailAsync(client, TestEnvironment.NewUsername("ghost"), 5);
        using (await client.PostAsJsonAsync("/login", new { username = other, password = Password }))
        using (await admin.PostAsync(new Uri($"/admin/users/{known}/unlock", UriKind.Relative), null))
        {
        }

        var server = _environment.Redis.GetServers()[0];
        var database = ConfigurationOptions.Parse(_environment.RedisConnectionString).DefaultDatabase ?? 0;
        var unbounded = new List<string>();
        await foreach (var key in server.KeysAsync(database, "lockout:*"))
        {
            var name = key.ToString();
            if (await _environment.RedisDatabase.KeyTimeToLiveAsync(key) is not null
                || name.EndsWith(":outbox", StringComparison.Ordinal) // bounded by Lockout:Redis:OutboxCapacity
                || name.EndsWith(":outbox:parked", StringComparison.Ordinal)) // trimmed to a fixed length
            {
                continue;
            }

            // A real account's last decision, kept until a login sees it in the database: one hash per user.
            if (name.Contains(":acct:", StringComparison.Ordinal) && await _environment.RedisDatabase.HashExistsAsync(key, "pending"))
            {
                continue;
            }

            unbounded.Add(name);
        }

        Assert.Empty(unbounded);
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
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lockout.Api.Redis;
using Lockout.Tests.Infrastructure;
using Lockout.Tests.SmartLockout;
using StackExchange.Redis;

namespace Lockout.Tests.Pipeline;

/// <summary>The default mode, with Redis keeping an account's decision for one second once the database shows it.</summary>
public sealed class ShortRetentionPipelineFixture(LocalInfrastructureFixture infrastructure) : ClientPipelineFixture(infrastructure)
{
    public static readonly TimeSpan StateRetention = TimeSpan.FromSeconds(1);

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        [$"{LockoutRedisOptions.SectionName}:{nameof(LockoutRedisOptions.StateRetention)}"] = "00:00:01",
    };
}

/// <summary>
/// An admin's unlock that cannot reach the database (the broker is away) must not be undone when Redis's retention
/// runs out: the older LOCKED row is not adopted again, and the row follows the unlock once the broker is back.
/// </summary>
public sealed class UnlockRetentionTests(ShortRetentionPipelineFixture pipeline) : IClassFixture<ShortRetentionPipelineFixture>
{
    private const string Source = "192.0.2.77";

    [Fact]
    public async Task An_unlock_that_has_not_reached_the_database_outlives_the_retention_and_lands_once()
    {
        var username = TestEnvironment.NewUsername("outlive");
        await pipeline.Api.CreateUserAsync(username, ClientPipelineFixture.Password);
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            await pipeline.LoginAsync(username, $"wrong-{attempt}", Source);
        }

        await Poll.UntilAsync(async () => await pipeline.Environment.LockStatusAsync(username) == "LOCKED", what: "the lock in USERS");

        pipeline.Environment.Kafka.SetBrokersDown();
        try
        {
            using (var unlocked = await pipeline.Admin.PostAsync(new Uri($"/admin/users/{username}/unlock", UriKind.Relative), null))
            {
                Assert.Equal(HttpStatusCode.Accepted, unlocked.StatusCode);
            }

            // The owner signs in at once: this login reads the still-LOCKED row.
            Assert.Equal(HttpStatusCode.OK, (await pipeline.LoginAsync(username, ClientPipelineFixture.Password, Source)).Status);

            // Days pass on the scripts' clock, and Redis lets a key kept for the retention expire (its own clock).
            pipeline.Clock.Advance(TimeSpan.FromDays(2));
            await WaitForRedisToExpireAKeyKeptForTheRetentionAsync();

            Assert.Equal(HttpStatusCode.OK, (await pipeline.LoginAsync(username, ClientPipelineFixture.Password, Source)).Status);
            var state = await LockoutStateAsync(username);
            Assert.False(state.GetProperty("locked").GetBoolean()); // the older database lock was not adopted
            Assert.Equal("LOCKED", state.GetProperty("dbLockStatus").GetString()); // the unlock has not landed yet
        }
        finally
        {
            pipeline.Environment.Kafka.SetBrokersUp();
        }

        // The relay's backoff runs on the fake clock: time passes while the test waits.
        await Poll.UntilAsync(
            async () =>
            {
                pipeline.Clock.Advance(TimeSpan.FromSeconds(1));
                return await pipeline.Environment.LockStatusAsync(username) == "UNLOCKED";
            },
            TimeSpan.FromSeconds(90),
            "the unlock to reach USERS once the broker is back");
        Assert.Equal(["LOCKED", "UNLOCKED"], (await pipeline.Environment.AuditRowsAsync(username)).Select(row => row.EventType));
        Assert.Equal(HttpStatusCode.OK, (await pipeline.LoginAsync(username, ClientPipelineFixture.Password, Source)).Status);
        Assert.Equal(["LOCKED", "UNLOCKED"], (await pipeline.Environment.AuditRowsAsync(username)).Select(row => row.EventType));
    }

    /// <summary>A key given the state's retention, watched until Redis has expired it: a key of the account kept for the retention would be gone too.</summary>
    private async Task WaitForRedisToExpireAKeyKeptForTheRetentionAsync()
    {
        var probe = new RedisKey($"test:retention-probe:{Guid.NewGuid():N}");
        await pipeline.Environment.RedisDatabase.StringSetAsync(probe, "1", ShortRetentionPipelineFixture.StateRetention);
        await Poll.UntilAsync(async () => !await pipeline.Environment.RedisDatabase.KeyExistsAsync(probe), what: "Redis to expire a key kept for the retention");
    }

    private async Task<JsonElement> LockoutStateAsync(string username) =>
        await pipeline.Admin.GetFromJsonAsync<JsonElement>($"/admin/users/{username}/lockout");
}

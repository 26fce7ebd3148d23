using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lockout.Api.Telemetry;
using Lockout.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Lockout.Tests.SmartLockout;

/// <summary>Smart mode: the attacker is locked out, not the user.</summary>
public sealed class SmartLockoutTests(SmartPipelineFixture pipeline) : IClassFixture<SmartPipelineFixture>
{
    private const string Owner = "192.0.2.10";

    [Fact]
    public async Task A_source_that_fills_its_budget_is_blocked_for_the_account_while_the_owner_signs_in_from_elsewhere()
    {
        var username = await NewUserAsync("target");
        const string attacker = "203.0.113.20";

        var attacks = new List<LoginAnswer>();
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            attacks.Add(await pipeline.LoginAsync(username, $"guess-{attempt}", attacker));
        }

        var attackerWithTheRightPassword = await pipeline.LoginAsync(username, ClientPipelineFixture.Password, attacker);
        var owner = await pipeline.LoginAsync(username, ClientPipelineFixture.Password, Owner);

        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.Unauthorized, 4), HttpStatusCode.Locked], attacks.Select(a => a.Status));
        Assert.InRange(attacks[^1].RetryAfter!.Value, TimeSpan.FromSeconds(59), TimeSpan.FromSeconds(61)); // a minute, rounded up
        Assert.Equal(HttpStatusCode.Locked, attackerWithTheRightPassword.Status);
        Assert.Equal(HttpStatusCode.OK, owner.Status);

        var audit = await Poll.UntilAsync(() => pipeline.AuditAsync(username), rows => rows.Length == 1, what: "the SOURCE_BLOCKED row");
        Assert.Equal(("SOURCE_BLOCKED", attacker, 1), (audit[0].GetProperty("type").GetString(), audit[0].GetProperty("source").GetString(), audit[0].GetProperty("level").GetInt32()));
        Assert.Matches("^[0-9a-f]{32}$", audit[0].GetProperty("traceId").GetString());
        Assert.Equal("UNLOCKED", await pipeline.Environment.LockStatusAsync(username));
    }

    [Fact]
    public async Task Blocks_grow_level_by_level_the_last_lasts_until_an_admin_lifts_it_and_every_step_is_audited()
    {
        var username = await NewUserAsync("levels");
        const string attacker = "203.0.113.21";
        var retryAfters = new List<TimeSpan?>();
        foreach (var wait in new[] { TimeSpan.Zero, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30) })
        {
            pipeline.Clock.Advance(wait + TimeSpan.FromSeconds(1));
            LoginAnswer last = default;
            for (var attempt = 1; attempt <= 5; attempt++)
            {
                last = await pipeline.LoginAsync(username, $"level-guess-{wait.TotalMinutes}-{attempt}", attacker);
            }

            Assert.Equal(HttpStatusCode.Locked, last.Status);
            retryAfters.Add(last.RetryAfter);
        }

        Assert.Equal([60, 300, 1800], retryAfters.Take(3).Select(r => Math.Round(r!.Value.TotalSeconds / 60) * 60));
        Assert.Null(retryAfters[3]); // past the last level: until an admin lifts it
        pipeline.Clock.Advance(TimeSpan.FromDays(2));
        Assert.Equal(HttpStatusCode.Locked, (await pipeline.LoginAsync(username, ClientPipelineFixture.Password, attacker)).Status);

        var blocks = await pipeline.Admin.GetFromJsonAsync<JsonElement[]>($"/admin/users/{username}/sources");
        var block = Assert.Single(blocks!);
        Assert.Equal((attacker, 4, JsonValueKind.Null), (block.GetProperty("source").GetString(), block.GetProperty("level").GetInt32(), block.GetProperty("blockedUntil").ValueKind));
        using (var lifted = await pipeline.Admin.DeleteAsync(new Uri($"/admin/users/{username}/sources/{attacker}", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Accepted, lifted.StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await pipeline.LoginAsync(username, ClientPipelineFixture.Password, attacker)).Status);
        var audit = await Poll.UntilAsync(() => pipeline.AuditAsync(username), rows => rows.Length == 5, what: "four blocks and a lift");
        Assert.Equal(
            [("SOURCE_BLOCKED", 1), ("SOURCE_BLOCKED", 2), ("SOURCE_BLOCKED", 3), ("SOURCE_BLOCKED", 4), ("SOURCE_UNBLOCKED", 4)],
            audit.Select(row => (row.GetProperty("type").GetString(), row.GetProperty("level").GetInt32())));
        Assert.Equal("admin", audit[4].GetProperty("operator").GetString());
    }

    [Fact]
    public async Task The_account_wide_cap_locks_out_unfamiliar_sources_while_a_familiar_one_keeps_its_own_budget()
    {
        var username = await NewUserAsync("familiar");
        const string familiar = "192.0.2.11";
        Assert.Equal(HttpStatusCode.OK, (await pipeline.LoginAsync(username, ClientPipelineFixture.Password, familiar)).Status);

        // Ten sources, three guesses each: none fills its own budget, together they reach the cap.
        var answers = new List<HttpStatusCode>();
        for (var source = 0; source < SmartPipelineFixture.AccountCap / 3; source++)
        {
            for (var attempt = 1; attempt <= 3; attempt++)
            {
                answers.Add((await pipeline.LoginAsync(username, $"cap-{source}-{attempt}", $"203.0.113.{40 + source}")).Status);
            }
        }

        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.Unauthorized, SmartPipelineFixture.AccountCap - 1), HttpStatusCode.Locked], answers);
        Assert.Equal(HttpStatusCode.Locked, (await pipeline.LoginAsync(username, ClientPipelineFixture.Password, "198.51.100.77")).Status);
        Assert.Equal(HttpStatusCode.OK, (await pipeline.LoginAsync(username, ClientPipelineFixture.Password, familiar)).Status);

        await Poll.UntilAsync(async () => await pipeline.Environment.LockStatusAsync(username) == "LOCKED", what: "the account's lock in USERS");
        var locked = Assert.Single(await pipeline.AuditAsync(username));
        Assert.Equal(("LOCKED", 1, SmartPipelineFixture.AccountCap), (locked.GetProperty("type").GetString(), locked.GetProperty("level").GetInt32(), locked.GetProperty("attempts").GetInt32()));

        // The familiar source's own budget still holds it to five.
        var familiarGuesses = new List<HttpStatusCode>();
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            familiarGuesses.Add((await pipeline.LoginAsync(username, $"typo-{attempt}", familiar)).Status);
        }

        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.Unauthorized, 4), HttpStatusCode.Locked], familiarGuesses);
    }

    [Fact]
    public async Task A_thousand_concurrent_guesses_from_a_thousand_sources_verify_exactly_the_cap_and_lock_once()
    {
        var username = await NewUserAsync("distributed");
        using var verifications = new MetricCollector<long>(pipeline.Api.Services.GetRequiredService<IMeterFactory>(), LockoutApiMetrics.MeterName, "lockout.password.verifications");

        // A thousand IPv6 sources, each its own /64.
        var answers = await Task.WhenAll(Enumerable.Range(0, 1000).Select(i =>
            pipeline.LoginAsync(username, $"botnet-{i}", $"2001:db8:{i / 256:x}:{i % 256:x}::1")));

        Assert.Equal(SmartPipelineFixture.AccountCap, verifications.GetMeasurementSnapshot().Sum(m => m.Value));
        Assert.Equal(SmartPipelineFixture.AccountCap - 1, answers.Count(a => a.Status == HttpStatusCode.Unauthorized));
        Assert.Equal(1000 - SmartPipelineFixture.AccountCap + 1, answers.Count(a => a.Status == HttpStatusCode.Locked));
        await Poll.UntilAsync(async () => await pipeline.Environment.LockStatusAsync(username) == "LOCKED", what: "the lock in USERS");
        Assert.Single(await pipeline.AuditAsync(username));
    }

    [Fact]
    public async Task The_same_wrong_password_again_is_answered_401_without_being_verified_or_counted()
    {
        var username = await NewUserAsync("typo");
        using var verifications = new MetricCollector<long>(pipeline.Api.Services.GetRequiredService<IMeterFactory>(), LockoutApiMetrics.MeterName, "lockout.password.verifications");
        const string source = "203.0.113.30";

        var answers = new List<HttpStatusCode>();
        foreach (var password in new[] { "Summer2026!", "Summer2026!", "Summer2026!", "Winter2026!", "Summer2026!" })
        {
            answers.Add((await pipeline.LoginAsync(username, password, source)).Status);
        }

        // Another source repeating a wrong password the account has seen costs nothing either.
        answers.Add((await pipeline.LoginAsync(username, "Winter2026!", "203.0.113.31")).Status);

        Assert.All(answers, status => Assert.Equal(HttpStatusCode.Unauthorized, status));
        Assert.Equal(2, verifications.GetMeasurementSnapshot().Sum(m => m.Value));
        var state = await pipeline.Admin.GetFromJsonAsync<JsonElement>($"/admin/users/{username}/lockout");
        Assert.Equal(2, state.GetProperty("failedAttempts").GetInt32());
        Assert.Equal(HttpStatusCode.OK, (await pipeline.LoginAsync(username, ClientPipelineFixture.Password, source)).Status);
    }

    [Fact]
    public async Task A_temporary_account_lock_that_runs_out_is_recorded_and_the_row_follows()
    {
        var username = await NewUserAsync("expires");
        Assert.Equal(HttpStatusCode.OK, (await pipeline.LoginAsync(username, ClientPipelineFixture.Password, Owner)).Status);
        for (var source = 0; source < SmartPipelineFixture.AccountCap / 3; source++)
        {
            for (var attempt = 1; attempt <= 3; attempt++)
            {
                await pipeline.LoginAsync(username, $"expiry-{source}-{attempt}", $"198.51.100.{100 + source}");
            }
        }

        await Poll.UntilAsync(async () => await pipeline.Environment.LockStatusAsync(username) == "LOCKED", what: "the lock");
        pipeline.Clock.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));

        // The lock's end is seen (and recorded) by the next attempt; the cap's window still refuses unfamiliar guesses,
        // and the owner's familiar source signs in.
        var after = await pipeline.LoginAsync(username, "after-expiry", "198.51.100.200");
        Assert.Equal(HttpStatusCode.Locked, after.Status);
        Assert.True(after.RetryAfter > TimeSpan.Zero);
        Assert.Equal(HttpStatusCode.OK, (await pipeline.LoginAsync(username, ClientPipelineFixture.Password, Owner)).Status);

        await Poll.UntilAsync(async () => await pipeline.Environment.LockStatusAsync(username) == "UNLOCKED", what: "the row to follow the lock's end");
        Assert.Equal(["LOCKED", "LOCK_EXPIRED"], (await pipeline.AuditAsync(username)).Select(row => row.GetProperty("type").GetString()));
    }

    private async Task<string> NewUserAsync(string prefix)
    {
        var username = TestEnvironment.NewUsername(prefix);
        await pipeline.Api.CreateUserAsync(username, ClientPipelineFixture.Password);
        return username;
    }
}

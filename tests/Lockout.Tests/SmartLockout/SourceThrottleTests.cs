using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lockout.Api.Telemetry;
using Lockout.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Lockout.Tests.SmartLockout;

/// <summary>The source throttle, on in the default (Account) mode: a source failing across many accounts gets 429.</summary>
public sealed class SourceThrottleTests(ThrottlePipelineFixture pipeline) : IClassFixture<ThrottlePipelineFixture>
{
    private const int Limit = ThrottlePipelineFixture.MaxFailures;

    [Fact]
    public async Task A_source_verifies_exactly_its_limit_under_a_thousand_concurrent_requests_then_gets_429_with_retry_after()
    {
        const string source = "203.0.113.10";
        using var verifications = new MetricCollector<long>(pipeline.Api.Services.GetRequiredService<IMeterFactory>(), LockoutApiMetrics.MeterName, "lockout.password.verifications");

        var answers = await Task.WhenAll(Enumerable.Range(0, 1000).Select(i =>
            pipeline.LoginAsync(TestEnvironment.NewUsername($"stuffed{i}"), "wrong", source)));

        Assert.Equal(Limit, verifications.GetMeasurementSnapshot().Sum(m => m.Value));
        Assert.Equal(Limit, answers.Count(answer => answer.Status == HttpStatusCode.Unauthorized));
        Assert.Equal(1000 - Limit, answers.Count(answer => answer.Status == HttpStatusCode.TooManyRequests));
        Assert.All(answers.Where(answer => answer.Status == HttpStatusCode.TooManyRequests), answer => Assert.True(answer.RetryAfter > TimeSpan.Zero));

        var admin = pipeline.Admin;
        var state = await Poll.UntilAsync(
            () => admin.GetFromJsonAsync<JsonElement>($"/admin/sources/{source}"),
            state => state.GetProperty("events").GetArrayLength() == 1,
            what: "the SOURCE_THROTTLED audit row");
        Assert.True(state.GetProperty("throttled").GetBoolean());
        Assert.Equal(Limit, state.GetProperty("failures").GetInt32());
        var throttled = state.GetProperty("events")[0];
        Assert.Equal(("SOURCE_THROTTLED", source, Limit), (throttled.GetProperty("type").GetString(), throttled.GetProperty("source").GetString(), throttled.GetProperty("attempts").GetInt32()));
        Assert.Matches("^[0-9a-f]{32}$", throttled.GetProperty("traceId").GetString());
    }

    [Fact]
    public async Task A_throttled_source_gets_problem_details_spends_no_accounts_budget_and_other_sources_are_unaffected()
    {
        const string source = "203.0.113.11";
        var username = TestEnvironment.NewUsername("bystander");
        await pipeline.Api.CreateUserAsync(username, ClientPipelineFixture.Password);
        for (var i = 0; i < Limit; i++)
        {
            await pipeline.LoginAsync(TestEnvironment.NewUsername("spray"), "wrong", source);
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, "/login") { Content = JsonContent.Create(new { username, password = "wrong" }) };
        request.Headers.Add("X-Forwarded-For", source);
        using var throttled = await pipeline.Client.SendAsync(request);
        var otherSource = await pipeline.LoginAsync(username, ClientPipelineFixture.Password, "203.0.113.12");

        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.Equal("application/problem+json", throttled.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, otherSource.Status);
        var admin = pipeline.Admin;
        var lockout = await admin.GetFromJsonAsync<JsonElement>($"/admin/users/{username}/lockout");
        Assert.Equal(0, lockout.GetProperty("failedAttempts").GetInt32());
    }

    [Fact]
    public async Task An_allow_listed_source_is_never_throttled()
    {

        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < Limit + 5; i++)
        {
            answers.Add((await pipeline.LoginAsync(TestEnvironment.NewUsername("allowed"), "wrong", "198.51.100.5")).Status);
        }

        Assert.All(answers, status => Assert.Equal(HttpStatusCode.Unauthorized, status));
    }

    [Fact]
    public async Task An_admin_lifts_a_throttle_the_source_is_answered_again_and_the_lift_is_audited_with_the_operator()
    {
        const string source = "203.0.113.13";
        var admin = pipeline.Admin;
        for (var i = 0; i < Limit; i++)
        {
            await pipeline.LoginAsync(TestEnvironment.NewUsername("lift"), "wrong", source);
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, (await pipeline.LoginAsync(TestEnvironment.NewUsername("lift"), "wrong", source)).Status);

        using (var lifted = await admin.DeleteAsync(new Uri($"/admin/sources/{source}/throttle", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Accepted, lifted.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await pipeline.LoginAsync(TestEnvironment.NewUsername("lift"), "wrong", source)).Status);
        var state = await Poll.UntilAsync(
            () => admin.GetFromJsonAsync<JsonElement>($"/admin/sources/{source}"),
            state => state.GetProperty("events").GetArrayLength() == 2,
            what: "the throttle and its lift in the audit log");
        var lift = state.GetProperty("events")[1];
        Assert.Equal(("THROTTLE_LIFTED", "admin"), (lift.GetProperty("type").GetString(), lift.GetProperty("operator").GetString()));
    }

    [Fact]
    public async Task A_right_password_gives_its_sources_slot_back_so_the_source_still_verifies_exactly_its_limit()
    {
        const string source = "203.0.113.14";
        var username = TestEnvironment.NewUsername("honest");
        await pipeline.Api.CreateUserAsync(username, ClientPipelineFixture.Password);
        for (var i = 0; i < Limit - 1; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await pipeline.LoginAsync(TestEnvironment.NewUsername("typo"), "wrong", source)).Status);
        }

        var signIns = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            signIns.Add((await pipeline.LoginAsync(username, ClientPipelineFixture.Password, source)).Status);
        }

        var last = await pipeline.LoginAsync(TestEnvironment.NewUsername("typo"), "wrong", source);
        var after = await pipeline.LoginAsync(TestEnvironment.NewUsername("typo"), "wrong", source);

        Assert.All(signIns, status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.Equal(HttpStatusCode.Unauthorized, last.Status);
        Assert.Equal(HttpStatusCode.TooManyRequests, after.Status);
    }
}

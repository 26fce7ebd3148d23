using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lockout.Api.Telemetry;
using Lockout.Events;
using Lockout.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Lockout.Tests.Pipeline;

public sealed class GuessBudgetConcurrencyTests(PipelineFixture pipeline) : IClassFixture<PipelineFixture>
{
    [Fact]
    public async Task A_thousand_concurrent_wrong_passwords_verify_exactly_five_and_emit_one_lock_event()
    {
        var username = TestEnvironment.NewUsername("hot");
        await pipeline.Api.CreateUserAsync(username, "the right password");
        var meters = pipeline.Api.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var verifications = new MetricCollector<long>(meters, LockoutApiMetrics.MeterName, "lockout.password.verifications");
        using var client = pipeline.Api.CreateClient();

        var statuses = await Task.WhenAll(Enumerable.Range(0, 1000).Select(async _ =>
        {
            using var response = await client.PostAsJsonAsync("/login", new { username, password = "wrong" });
            return response.StatusCode;
        }));

        Assert.Equal(5, verifications.GetMeasurementSnapshot().Sum(m => m.Value));
        Assert.Equal(4, statuses.Count(status => status == HttpStatusCode.Unauthorized));
        Assert.Equal(996, statuses.Count(status => status == HttpStatusCode.Locked));

        await Poll.UntilAsync(async () => await pipeline.Environment.LockStatusAsync(username) == "LOCKED", what: "the lock to reach USERS");
        Assert.Single(await pipeline.Environment.AuditRowsAsync(username));
        var key = System.Text.Encoding.UTF8.GetBytes(username.ToUpperInvariant());
        var events = pipeline.Environment.ReadTopic(LockoutTopics.Events).Where(message => message.Message.Key!.AsSpan().SequenceEqual(key));
        Assert.Single(events);

        using var admin = pipeline.Api.CreateAdminClient();
        var state = await admin.GetFromJsonAsync<JsonElement>($"/admin/users/{username}/lockout");
        Assert.Equal(5, state.GetProperty("failedAttempts").GetInt32());
        Assert.True(state.GetProperty("locked").GetBoolean());
    }
}

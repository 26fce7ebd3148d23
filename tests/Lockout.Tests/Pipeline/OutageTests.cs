using System.Net;
using System.Net.Http.Json;
using Lockout.Events;
using Lockout.Tests.Infrastructure;
using Lockout.Writer.Services;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Npgsql;

namespace Lockout.Tests.Pipeline;

/// <summary>Pipeline settings that keep these tests quick: a cheap hash (the cost is not under test here).</summary>
public sealed class CheapHashPipelineFixture(LocalInfrastructureFixture infrastructure) : PipelineFixture(infrastructure)
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Lockout:PasswordHasher:IterationCount"] = "1000",
        // The writer retries an outage with backoff; a short ceiling keeps the wait after recovery short.
        ["Lockout:Writer:MaxRetryDelay"] = "00:00:01",
    };

    /// <summary>Every log record the writer writes.</summary>
    public FakeLogCollector WriterLogs => Writer.Services.GetRequiredService<FakeLogCollector>();

    protected override void ConfigureWriter(IServiceCollection services) => services.AddLogging(logging => logging.AddFakeLogging());
}

public sealed class OutageTests(CheapHashPipelineFixture pipeline) : IClassFixture<CheapHashPipelineFixture>
{
    private const string Password = "right";

    [Fact]
    public async Task With_the_broker_down_logins_are_answered_and_the_locks_reach_the_database_once_it_is_back()
    {
        var usernames = Enumerable.Range(0, 5).Select(_ => TestEnvironment.NewUsername("outage")).ToList();
        foreach (var username in usernames)
        {
            await pipeline.Api.CreateUserAsync(username, Password);
        }

        using var client = pipeline.Api.CreateClient();
        pipeline.Environment.Kafka.SetBrokersDown();
        try
        {
            foreach (var username in usernames)
            {
                var answers = new List<HttpStatusCode>();
                for (var attempt = 1; attempt <= 5; attempt++)
                {
                    using var response = await client.PostAsJsonAsync("/login", new { username, password = "wrong" });
                    answers.Add(response.StatusCode);
                }

                Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.Unauthorized, 4), HttpStatusCode.Locked], answers);
            }

            // The events wait in the outbox; nothing has reached the database.
            Assert.Equal(usernames.Count, await pipeline.Environment.OutboxDepthAsync());
            foreach (var username in usernames)
            {
                Assert.Equal("UNLOCKED", await pipeline.Environment.LockStatusAsync(username));
            }
        }
        finally
        {
            pipeline.Environment.Kafka.SetBrokersUp();
        }

        foreach (var username in usernames)
        {
            await Poll.UntilAsync(async () => await pipeline.Environment.LockStatusAsync(username) == "LOCKED", TimeSpan.FromSeconds(60), $"{username} LOCKED");
            Assert.Single(await pipeline.Environment.AuditRowsAsync(username));
        }

        await Poll.UntilAsync(async () => await pipeline.Environment.OutboxDepthAsync() == 0, what: "an empty outbox");
    }

    [Fact]
    public async Task During_a_broker_outage_health_answers_200_degraded_and_healthy_again_after()
    {
        using var api = pipeline.Api.CreateClient();
        using var writer = pipeline.Writer.CreateClient();

        pipeline.Environment.Kafka.SetBrokersDown();
        try
        {
            // Degraded, not Unhealthy: the outbox and the writer ride out an outage, so neither leaves rotation.
            foreach (var service in new[] { api, writer })
            {
                var health = await Poll.UntilAsync(() => HealthAsync(service), answer => answer.Body == "Degraded", what: "/health to report the outage");
                Assert.Equal(HttpStatusCode.OK, health.Status);
            }
        }
        finally
        {
            pipeline.Environment.Kafka.SetBrokersUp();
        }

        foreach (var service in new[] { api, writer })
        {
            await Poll.UntilAsync(() => HealthAsync(service), answer => answer == (HttpStatusCode.OK, "Healthy"), TimeSpan.FromSeconds(60), "/health to be Healthy again");
        }
    }

    private static async Task<(HttpStatusCode Status, string Body)> HealthAsync(HttpClient client)
    {
        using var response = await client.GetAsync(new Uri("/health", UriKind.Relative));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task With_the_database_down_a_login_gets_503_and_the_attempt_is_not_counted()
    {
        var username = TestEnvironment.NewUsername("nodb");
        await pipeline.Api.CreateUserAsync(username, Password);
        using var client = pipeline.Api.CreateClient();

        await pipeline.Environment.TakeDatabaseDownAsync();
        HttpStatusCode status;
        string? contentType;
        try
        {
            using var response = await client.PostAsJsonAsync("/login", new { username, password = "wrong" });
            (status, contentType) = (response.StatusCode, response.Content.Headers.ContentType?.MediaType);
        }
        finally
        {
            await pipeline.Environment.BringDatabaseUpAsync();
        }

        Assert.Equal((HttpStatusCode.ServiceUnavailable, "application/problem+json"), (status, contentType));
        using var admin = pipeline.Api.CreateAdminClient();
        var state = await admin.GetFromJsonAsync<System.Text.Json.JsonElement>($"/admin/users/{username}/lockout");
        Assert.Equal(0, state.GetProperty("failedAttempts").GetInt32());
    }

    [Fact]
    public async Task After_the_database_closes_every_connection_the_next_logins_are_answered_on_fresh_ones()
    {
        var username = TestEnvironment.NewUsername("restart");
        await pipeline.Api.CreateUserAsync(username, Password);
        using var admin = pipeline.Api.CreateAdminClient();
        using var client = pipeline.Api.CreateClient();

        // Fill the API's pool with several connections; the server then closes all of them, as a restart does.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => admin.GetStringAsync($"/admin/users/{username}/lockout")));
        await pipeline.Environment.TerminateDatabaseConnectionsAsync();

        var answers = new List<HttpStatusCode>();
        foreach (var password in new[] { "wrong", Password, "wrong", Password })
        {
            using var response = await client.PostAsJsonAsync("/login", new { username, password });
            answers.Add(response.StatusCode);
        }

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.OK, HttpStatusCode.Unauthorized, HttpStatusCode.OK], answers);
    }

    [Fact]
    public async Task With_the_database_down_the_writer_waits_and_applies_every_event_once_it_is_back()
    {
        var events = Enumerable.Range(0, 20)
            .Select(i => new LockoutEvent(Guid.CreateVersion7(), LockoutEventType.Locked, TestEnvironment.NewUsername("dbdown").ToUpperInvariant(), DateTimeOffset.UtcNow, 5, i + 1))
            .ToList();

        var failedBefore = FailedWrites().Count;
        await pipeline.Environment.TakeDatabaseDownAsync();
        try
        {
            await pipeline.Environment.ProduceEventsAsync(events);

            // The writer has the events and cannot write them: its write fails, and so does its retry.
            await Poll.UntilAsync(
                () => Task.FromResult(FailedWrites().Count >= failedBefore + 2),
                what: "the writer to fail a write on the database outage and fail its retry too");
        }
        finally
        {
            await pipeline.Environment.BringDatabaseUpAsync();
        }

        foreach (var lockoutEvent in events)
        {
            var rows = await Poll.UntilAsync(() => pipeline.Environment.AuditRowsAsync(lockoutEvent.Username), rows => rows.Count > 0, TimeSpan.FromSeconds(60), $"{lockoutEvent.Username}'s audit row");
            Assert.Equal(lockoutEvent.EventId.ToString(), Assert.Single(rows).EventId);
        }
    }

    /// <summary>The writer's consumer logging a batch it could not write (with the database's exception).</summary>
    private List<FakeLogRecord> FailedWrites() =>
        [.. pipeline.WriterLogs.GetSnapshot().Where(record =>
            record.Category == typeof(PartitionWriter).FullName && record.Level == LogLevel.Warning && record.Exception is NpgsqlException)];
}

using System.Diagnostics.Metrics;
using System.Net.Http.Json;
using Dapper;
using Lockout.Api.Telemetry;
using Lockout.Tests.Infrastructure;
using Lockout.Writer.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Lockout.Tests.Telemetry;

public sealed class MetricsAndLogsTests(TelemetryFixture telemetry) : IClassFixture<TelemetryFixture>
{
    private static readonly string[] ApiInstruments =
    [
        "lockout.login.attempts", "lockout.password.verifications", "lockout.locks", "lockout.unlocks",
        "lockout.outbox.relayed", "lockout.outbox.depth", "lockout.outbox.produce_failures",
    ];

    private static readonly string[] WriterInstruments =
    [
        "lockout.writer.batch.size", "lockout.writer.batch.duration", "lockout.lock.latency", "lockout.writer.events.applied",
        "lockout.writer.events.duplicates", "lockout.writer.dead_lettered", "lockout.writer.consumer_lag",
    ];

    [Fact]
    public async Task After_the_seed_walk_every_instrument_is_published_and_the_walk_is_measured()
    {
        var apiMeters = telemetry.Api.Services.GetRequiredService<IMeterFactory>();
        var writerMeters = telemetry.Writer.Services.GetRequiredService<IMeterFactory>();
        var api = ApiInstruments.ToDictionary(name => name, name => new MetricCollector<long>(apiMeters, LockoutApiMetrics.MeterName, name));
        var writerLongs = new[] { "lockout.writer.events.applied", "lockout.writer.events.duplicates", "lockout.writer.dead_lettered", "lockout.writer.consumer_lag" }
            .ToDictionary(name => name, name => new MetricCollector<long>(writerMeters, LockoutWriterMetrics.MeterName, name));
        using var batchSize = new MetricCollector<int>(writerMeters, LockoutWriterMetrics.MeterName, "lockout.writer.batch.size");
        using var batchDuration = new MetricCollector<double>(writerMeters, LockoutWriterMetrics.MeterName, "lockout.writer.batch.duration");
        using var latency = new MetricCollector<double>(writerMeters, LockoutWriterMetrics.MeterName, "lockout.lock.latency");

        var username = await SeedWalkAsync();

        await Poll.UntilAsync(async () => await telemetry.Environment.LockStatusAsync(username) == "UNLOCKED" && latency.GetMeasurementSnapshot().Count == 2, what: "the unlock to be applied");
        Assert.All(api.Values.Concat(writerLongs.Values), collector => Assert.NotNull(collector.Instrument));
        Assert.Equal(5 + 2, api["lockout.login.attempts"].GetMeasurementSnapshot().Count);
        Assert.Equal(6, Sum(api["lockout.password.verifications"]));
        Assert.Equal(1, Sum(api["lockout.locks"]));
        Assert.Equal(1, Sum(api["lockout.unlocks"]));
        Assert.Equal(2, Sum(api["lockout.outbox.relayed"]));
        api["lockout.outbox.depth"].RecordObservableInstruments();
        Assert.Equal(0, api["lockout.outbox.depth"].LastMeasurement?.Value);
        Assert.Equal(2, Sum(writerLongs["lockout.writer.events.applied"]));
        Assert.Equal(2, batchSize.GetMeasurementSnapshot().Sum(m => m.Value));
        Assert.NotEmpty(batchDuration.GetMeasurementSnapshot());
        Assert.All(latency.GetMeasurementSnapshot(), m => Assert.InRange(m.Value, 0, 30));
        await Poll.UntilAsync(() =>
        {
            writerLongs["lockout.writer.consumer_lag"].RecordObservableInstruments();
            return Task.FromResult(writerLongs["lockout.writer.consumer_lag"].LastMeasurement?.Value == 0);
        }, what: "a consumer lag of 0 from librdkafka's statistics");

        foreach (var collector in api.Values.Concat(writerLongs.Values))
        {
            collector.Dispose();
        }
    }

    [Fact]
    public async Task Logs_and_traces_never_contain_a_password_or_its_hash()
    {
        var username = TestEnvironment.NewUsername("secret");
        const string password = "Tr0ub4dor&3-unique-secret";
        await telemetry.Api.CreateUserAsync(username, password);
        using var client = telemetry.Api.CreateClient();

        using (var failed = await client.PostAsJsonAsync("/login", new { username, password = password + "-wrong" }))
        using (var succeeded = await client.PostAsJsonAsync("/login", new { username, password }))
        {
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, failed.StatusCode);
            Assert.Equal(System.Net.HttpStatusCode.OK, succeeded.StatusCode);
        }

        string hash;
        await using (var connection = await telemetry.Environment.Database.OpenConnectionAsync())
        {
            hash = await connection.ExecuteScalarAsync<string>("SELECT PASSWORD_HASH FROM USERS WHERE USERNAME = @username", new { username }) ?? "";
        }

        var logged = telemetry.ApiLogs.GetSnapshot().Concat(telemetry.WriterLogs.GetSnapshot())
            .SelectMany(record => new[] { record.Message, record.Exception?.ToString() ?? "" }
                .Concat(record.StructuredState?.Select(pair => pair.Value ?? "") ?? []))
            .ToList();
        var traced = telemetry.Spans
            .SelectMany(span => span.TagObjects.Select(tag => tag.Value?.ToString() ?? "").Append(span.DisplayName))
            .ToList();

        Assert.NotEmpty(logged);
        Assert.NotEmpty(hash);
        foreach (var text in logged.Concat(traced))
        {
            Assert.DoesNotContain(password, text, StringComparison.Ordinal);
            Assert.DoesNotContain(hash, text, StringComparison.Ordinal);
        }
    }

    private async Task<string> SeedWalkAsync()
    {
        var username = TestEnvironment.NewUsername("metrics");
        await telemetry.Api.CreateUserAsync(username, "right");
        using var client = telemetry.Api.CreateClient();
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            using var _ = await client.PostAsJsonAsync("/login", new { username, password = "wrong" });
        }

        using (var locked = await client.PostAsJsonAsync("/login", new { username, password = "right" }))
        {
            Assert.Equal(System.Net.HttpStatusCode.Locked, locked.StatusCode);
        }

        await Poll.UntilAsync(async () => await telemetry.Environment.LockStatusAsync(username) == "LOCKED", what: "the lock");
        using var admin = telemetry.Api.CreateAdminClient();
        using (await admin.PostAsync(new Uri($"/admin/users/{username}/unlock", UriKind.Relative), null))
        {
        }

        using (var signedIn = await client.PostAsJsonAsync("/login", new { username, password = "right" }))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, signedIn.StatusCode);
        }

        return username;
    }

    private static long Sum(MetricCollector<long> collector) => collector.GetMeasurementSnapshot().Sum(m => m.Value);
}

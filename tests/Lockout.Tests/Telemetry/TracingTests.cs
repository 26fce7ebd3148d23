using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Lockout.Tests.Infrastructure;
using Microsoft.Extensions.Hosting;

namespace Lockout.Tests.Telemetry;

public sealed class TracingTests(TelemetryFixture telemetry) : IClassFixture<TelemetryFixture>
{
    [Fact]
    public async Task The_lock_triggering_login_is_one_trace_from_the_request_to_the_writers_database_transaction()
    {
        var username = TestEnvironment.NewUsername("trace");
        await telemetry.Api.CreateUserAsync(username, "right");
        using var client = telemetry.Api.CreateClient();
        HttpResponseMessage? last = null;
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            last?.Dispose();
            last = await client.PostAsJsonAsync("/login", new { username, password = "wrong" });
        }

        Assert.Equal(HttpStatusCode.Locked, last!.StatusCode);
        var traceParent = ActivityContext.Parse(Assert.Single(last.Headers.GetValues("traceparent")), null);
        var traceId = traceParent.TraceId;
        last.Dispose();

        var row = await Poll.UntilAsync(() => telemetry.Environment.AuditRowsAsync(username), rows => rows.Count == 1, what: "the audit row");
        Assert.Equal(traceId.ToHexString(), row[0].TraceId);

        // The writer's spans are exported when they end, just after the commit.
        var trace = await Poll.UntilAsync(
            () => Task.FromResult(telemetry.Spans.Where(span => span.TraceId == traceId).ToList()),
            spans => spans.Any(span => span.Source.Name == "Npgsql" && Ancestors(span, spans).Any(a => a.DisplayName == "apply lockout-events batch"))
                && spans.Any(span => span.GetTagItem("db.system") is "redis"),
            what: "the writer's database spans in the login's trace");

        var request = Assert.Single(trace, span => span.Kind == ActivityKind.Server);
        Assert.Equal(traceParent.SpanId, request.SpanId);
        Assert.Contains(trace, span => span.ParentSpanId == request.SpanId && span.GetTagItem("db.system") is "redis");
        Assert.Contains(trace, span => span.Source.Name == "Npgsql" && span.ParentSpanId == request.SpanId);

        var send = Assert.Single(trace, span => span.Kind == ActivityKind.Producer);
        Assert.Equal(("send lockout-events", request.SpanId), (send.DisplayName, send.ParentSpanId));
        Assert.Equal("kafka", send.GetTagItem("messaging.system"));

        var process = Assert.Single(trace, span => span.Kind == ActivityKind.Consumer);
        Assert.Equal(("process lockout-events", send.SpanId), (process.DisplayName, process.ParentSpanId));
        Assert.Equal("lockout-writer", process.GetTagItem("messaging.consumer.group.name"));

        var apply = Assert.Single(trace, span => span.DisplayName == "apply lockout-events batch");
        Assert.Equal(process.SpanId, apply.ParentSpanId);
        Assert.Contains(trace, span => span.Source.Name == "Npgsql" && span.ParentSpanId == apply.SpanId);
    }

    [Fact]
    public async Task A_health_probe_leaves_no_span_not_even_of_the_checks_it_runs()
    {
        // The orchestrator probes /health every few seconds; the probe's request is not traced, and the Redis PING and
        // the SELECT 1 its checks run must not be either, or the dashboard's Traces page fills with them.
        using var client = telemetry.Api.CreateClient();
        List<ActivityTraceId> probes = [];
        for (var probe = 0; probe < 5; probe++)
        {
            using var response = await client.GetAsync(Extensions.HealthEndpointPath);
            probes.Add(ActivityContext.Parse(Assert.Single(response.Headers.GetValues("traceparent")), null).TraceId);
        }

        // A login after the probes: once its Redis span is exported, whatever traced the probes' PINGs would have
        // exported them too; the database spans end before the probes' answers.
        var username = TestEnvironment.NewUsername("probe");
        using var login = await client.PostAsJsonAsync("/login", new { username, password = "wrong" });
        var loginTrace = ActivityContext.Parse(Assert.Single(login.Headers.GetValues("traceparent")), null).TraceId;
        await Poll.UntilAsync(
            () => Task.FromResult(telemetry.Spans.Any(span => span.TraceId == loginTrace && span.GetTagItem("db.system") is "redis")),
            what: "the login's Redis span");

        Assert.Empty(telemetry.Spans.Where(span => probes.Contains(span.TraceId)).Select(span => $"{span.Source.Name}: {span.DisplayName}"));
    }

    private static IEnumerable<Activity> Ancestors(Activity span, List<Activity> spans)
    {
        for (var parent = spans.FirstOrDefault(s => s.SpanId == span.ParentSpanId); parent is not null; parent = spans.FirstOrDefault(s => s.SpanId == parent.ParentSpanId))
        {
            yield return parent;
        }
    }
}

using System.Diagnostics.Metrics;
using System.Net.Http.Json;
using Lockout.Tests.Infrastructure;
using Lockout.Tests.Telemetry;

namespace Lockout.Tests.Operations;

/// <summary>Traces and metrics must not become a list of the accounts under attack.</summary>
public sealed class TelemetryPrivacyTests(TelemetryFixture telemetry) : IClassFixture<TelemetryFixture>
{
    [Fact]
    public async Task A_locked_and_unlocked_account_leaves_its_username_in_no_span_tag_and_no_metric_tag()
    {
        var username = TestEnvironment.NewUsername("private");
        var tags = new List<string>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name.StartsWith("Lockout", StringComparison.Ordinal))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, _, measurementTags, _) => Record(measurementTags));
        listener.SetMeasurementEventCallback<int>((_, _, measurementTags, _) => Record(measurementTags));
        listener.SetMeasurementEventCallback<double>((_, _, measurementTags, _) => Record(measurementTags));
        listener.Start();

        await telemetry.Api.CreateUserAsync(username, "right");
        using var client = telemetry.Api.CreateClient();
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            using var _ = await client.PostAsJsonAsync("/login", new { username, password = "wrong" });
        }

        using var admin = telemetry.Api.CreateAdminClient();
        using (await admin.PostAsync(new Uri($"/admin/users/{username}/unlock", UriKind.Relative), null))
        {
        }

        await Poll.UntilAsync(async () => (await telemetry.Environment.AuditRowsAsync(username)).Count == 2, what: "both audit rows");
        await Poll.UntilAsync(() => Task.FromResult(telemetry.Spans.Any(span => span.DisplayName == "send lockout-events")), what: "a send span");
        listener.RecordObservableInstruments();

        var spanTags = telemetry.Spans.SelectMany(span => span.TagObjects.Select(tag => $"{tag.Key}={tag.Value}").Append(span.DisplayName)).ToList();
        List<string> metricTags;
        lock (tags)
        {
            metricTags = [.. tags];
        }

        Assert.NotEmpty(metricTags);
        Assert.DoesNotContain(spanTags.Concat(metricTags), text => text.Contains(username, StringComparison.OrdinalIgnoreCase));

        void Record(ReadOnlySpan<KeyValuePair<string, object?>> measurementTags)
        {
            var texts = new List<string>();
            foreach (var tag in measurementTags)
            {
                texts.Add($"{tag.Key}={tag.Value}");
            }

            lock (tags)
            {
                tags.AddRange(texts);
            }
        }
    }
}

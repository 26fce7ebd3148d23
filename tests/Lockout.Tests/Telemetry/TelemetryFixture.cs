using System.Collections.Concurrent;
using System.Diagnostics;
using Lockout.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace Lockout.Tests.Telemetry;

/// <summary>
/// A pipeline whose API and writer export their spans to memory and keep every log record (Debug and up).
/// </summary>
public sealed class TelemetryFixture(LocalInfrastructureFixture infrastructure) : IAsyncLifetime
{
    private readonly ConcurrentQueue<Activity> _apiSpans = new();
    private readonly ConcurrentQueue<Activity> _writerSpans = new();

    public TestEnvironment Environment { get; private set; } = null!;

    public ApiHost Api { get; private set; } = null!;

    public WriterHost Writer { get; private set; } = null!;

    public FakeLogCollector ApiLogs => Api.Services.GetRequiredService<FakeLogCollector>();

    public FakeLogCollector WriterLogs => Writer.Services.GetRequiredService<FakeLogCollector>();

    /// <summary>Every span either service exported, once each (both listen to the same process-wide sources).</summary>
    public IReadOnlyList<Activity> Spans
    {
        get
        {
            var spans = new ConcurrentDictionary<ActivitySpanId, Activity>();
            foreach (var span in _apiSpans.Concat(_writerSpans))
            {
                spans.TryAdd(span.SpanId, span);
            }

            return [.. spans.Values];
        }
    }

    public async ValueTask InitializeAsync()
    {
        Environment = await infrastructure.CreateEnvironmentAsync();
        var settings = new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Debug",
            ["Lockout:PasswordHasher:IterationCount"] = "1000",
            ["Aspire:Confluent:Kafka:Consumer:Config:StatisticsIntervalMs"] = "500",
            // As the AppHost sets it for the dashboard: every span sampled, whatever its parent.
            ["OTEL_TRACES_SAMPLER"] = "always_on",
        };
        Writer = new WriterHost(Environment, settings, services => Configure(services, _writerSpans)).Start();
        Api = new ApiHost(Environment, settings, services => Configure(services, _apiSpans));
        _ = Api.Server;
    }

    public async ValueTask DisposeAsync()
    {
        await Api.DisposeAsync();
        await Writer.DisposeAsync();
        await Environment.DisposeAsync();
    }

    private static void Configure(IServiceCollection services, ConcurrentQueue<Activity> spans)
    {
        services.AddOpenTelemetry().WithTracing(tracing => tracing.AddProcessor(new SimpleActivityExportProcessor(new QueueExporter(spans))));
        services.AddLogging(logging => logging.AddFakeLogging());
    }

    /// <summary>
    /// OpenTelemetry's in-memory exporter adds to a plain list from whichever thread ends a span, so reading it while
    /// spans end threw ("Destination array was not long enough"): this one queues them, safe to read at any time.
    /// </summary>
    private sealed class QueueExporter(ConcurrentQueue<Activity> spans) : BaseExporter<Activity>
    {
        public override ExportResult Export(in Batch<Activity> batch)
        {
            foreach (var span in batch)
            {
                spans.Enqueue(span);
            }

            return ExportResult.Success;
        }
    }
}

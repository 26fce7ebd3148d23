using Confluent.Kafka;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Lockout.Kafka;

/// <summary>
/// Healthy when a broker answers a metadata request; nothing is produced.
/// </summary>
public sealed class KafkaBrokerHealthCheck(string bootstrapServers) : IHealthCheck, IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    private readonly Lazy<IAdminClient> _adminClient = new(() => new AdminClientBuilder(new AdminClientConfig
    {
        BootstrapServers = bootstrapServers,
        SocketTimeoutMs = (int)Timeout.TotalMilliseconds,
        // The check reports outages itself; librdkafka's own retry logs would only repeat it.
        LogConnectionClose = false,
    }).SetLogHandler((_, _) => { }).Build());

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        // GetMetadata blocks; keep it off the caller's thread.
        return Task.Run(() =>
        {
            try
            {
                var metadata = _adminClient.Value.GetMetadata(Timeout);
                return metadata.Brokers.Count > 0
                    ? HealthCheckResult.Healthy($"{metadata.Brokers.Count} broker(s) answer.")
                    : new HealthCheckResult(context.Registration.FailureStatus, "The cluster reports no brokers.");
            }
            catch (KafkaException exception)
            {
                return new HealthCheckResult(context.Registration.FailureStatus, "No Kafka broker answers.", exception);
            }
        }, cancellationToken);
    }

    public void Dispose()
    {
        if (_adminClient.IsValueCreated)
        {
            _adminClient.Value.Dispose();
        }
    }
}

using System.Net.Sockets;
using Confluent.Kafka;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Lockout.Kafka;

/// <summary>
/// Healthy when a broker answers a metadata request and every broker it advertises accepts a connection from here;
/// nothing is produced.
/// </summary>
/// <remarks>
/// A client bootstraps through the configured address and then talks only to the addresses the brokers advertise.
/// A broker whose advertised listener is wrong (a container advertising the port inside the container, not the
/// published one) still answers metadata over the bootstrap connection, so metadata alone would report healthy while
/// no message can be produced or consumed. Hence the connection to each advertised address.
/// </remarks>
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

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        Metadata metadata;
        try
        {
            // GetMetadata blocks; keep it off the caller's thread.
            metadata = await Task.Run(() => _adminClient.Value.GetMetadata(Timeout), cancellationToken);
        }
        catch (KafkaException exception)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "No Kafka broker answers.", exception);
        }

        if (metadata.Brokers.Count == 0)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "The cluster reports no brokers.");
        }

        var unreachable = await FindUnreachableAsync(metadata.Brokers.Select(broker => (broker.Host, broker.Port)), Timeout, cancellationToken);
        return unreachable.Count == 0
            ? HealthCheckResult.Healthy($"{metadata.Brokers.Count} broker(s) answer at the addresses they advertise.")
            : new HealthCheckResult(
                context.Registration.FailureStatus,
                $"The cluster answers at {bootstrapServers}, but the broker address(es) it advertises cannot be reached from here: {string.Join(", ", unreachable)}. Producers and consumers would fail; check the brokers' advertised listeners.");
    }

    /// <summary>The <c>host:port</c> addresses, of those given, that do not accept a TCP connection within the timeout.</summary>
    public static async Task<IReadOnlyList<string>> FindUnreachableAsync(
        IEnumerable<(string Host, int Port)> addresses, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var checks = addresses.Distinct().Select(async address =>
        {
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attempt.CancelAfter(timeout);
            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync(address.Host, address.Port, attempt.Token);
                return null;
            }
            catch (Exception exception) when (exception is SocketException || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                return $"{address.Host}:{address.Port}";
            }
        });

        return [.. (await Task.WhenAll(checks)).OfType<string>()];
    }

    public void Dispose()
    {
        if (_adminClient.IsValueCreated)
        {
            _adminClient.Value.Dispose();
        }
    }
}

using System.Net;
using System.Net.Sockets;
using Confluent.Kafka;
using Lockout.Kafka;
using Lockout.KafkaMock;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Lockout.Tests.Kafka;

/// <summary>The broker health check against librdkafka's mock cluster, a real broker over TCP on loopback.</summary>
public sealed class KafkaBrokerHealthCheckTests : IDisposable
{
    private readonly MockKafkaCluster _cluster = MockKafkaCluster.Start();

    public void Dispose() => _cluster.Dispose();

    [Fact]
    public async Task A_broker_reachable_at_the_address_it_advertises_is_healthy()
    {
        using var check = new KafkaBrokerHealthCheck(_cluster.BootstrapServers);

        var result = await check.CheckHealthAsync(Context(check));

        Assert.Equal(HealthStatus.Healthy, result.Status);
    }

    [Fact]
    public async Task A_broker_that_advertises_a_port_where_nothing_listens_fails_although_it_answers_metadata()
    {
        // The container-mode fault: bootstrap works through the published port, the broker advertises another one.
        var deadPort = PortWithNothingListening();
        _cluster.AdvertiseBrokersAt("localhost", deadPort);

        // The premise: metadata still comes back over the bootstrap connection, naming the dead address.
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = _cluster.BootstrapServers }).Build())
        {
            var broker = Assert.Single(admin.GetMetadata(TimeSpan.FromSeconds(5)).Brokers);
            Assert.Equal(("localhost", deadPort), (broker.Host, broker.Port));
        }

        using var check = new KafkaBrokerHealthCheck(_cluster.BootstrapServers);
        var result = await check.CheckHealthAsync(Context(check, HealthStatus.Degraded));

        Assert.Equal(HealthStatus.Degraded, result.Status);
        Assert.Contains($"localhost:{deadPort}", result.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_broker_that_is_down_fails()
    {
        _cluster.SetBrokersDown();
        using var check = new KafkaBrokerHealthCheck(_cluster.BootstrapServers);

        var result = await check.CheckHealthAsync(Context(check));

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
    }

    private static HealthCheckContext Context(IHealthCheck check, HealthStatus failureStatus = HealthStatus.Unhealthy) => new()
    {
        Registration = new HealthCheckRegistration("kafka", check, failureStatus, tags: null),
    };

    private static int PortWithNothingListening()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

using System.Net;
using System.Net.Sockets;
using Lockout.Kafka;

namespace Lockout.UnitTests.Kafka;

/// <summary>How the broker health check decides that an advertised broker address can be reached from here.</summary>
public sealed class KafkaBrokerReachabilityTests
{
    [Fact]
    public async Task An_address_that_accepts_connections_is_reachable_and_a_closed_one_is_not()
    {
        using var listening = new TcpListener(IPAddress.Loopback, 0);
        listening.Start();
        var open = ((IPEndPoint)listening.LocalEndpoint).Port;
        var closedListener = new TcpListener(IPAddress.Loopback, 0);
        closedListener.Start();
        var closed = ((IPEndPoint)closedListener.LocalEndpoint).Port;
        closedListener.Stop();

        var unreachable = await KafkaBrokerHealthCheck.FindUnreachableAsync(
            [("127.0.0.1", open), ("127.0.0.1", closed)], TimeSpan.FromSeconds(3), TestContext.Current.CancellationToken);

        Assert.Equal([$"127.0.0.1:{closed}"], unreachable);
    }

    [Fact]
    public async Task A_host_name_that_does_not_resolve_is_unreachable()
    {
        var unreachable = await KafkaBrokerHealthCheck.FindUnreachableAsync(
            [("lockout-broker.invalid", 9092)], TimeSpan.FromSeconds(3), TestContext.Current.CancellationToken);

        Assert.Equal(["lockout-broker.invalid:9092"], unreachable);
    }
}

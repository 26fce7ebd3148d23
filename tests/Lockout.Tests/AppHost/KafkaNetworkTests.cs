using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Lockout.AppHost.Infrastructure.Containers;

namespace Lockout.Tests.AppHost;

/// <summary>
/// The container-mode Kafka broker as Aspire would start it: each network gets the address it can dial, in the
/// bootstrap servers and in what the broker advertises. Values come from Aspire's own resolution (the path DCP
/// takes), over endpoints allocated as DCP allocates them; nothing here restates the AppHost's expressions.
/// </summary>
public sealed class KafkaNetworkTests : IAsyncLifetime
{
    private ContainerAppModel _model = null!;

    public async ValueTask InitializeAsync() =>
        // A container that references Kafka, as a containerised service would: its values resolve for the container network.
        _model = await ContainerAppModel.BuildAsync(builder =>
        {
            var kafka = builder.CreateResourceBuilder(builder.Resources.OfType<KafkaServerResource>().Single());
            builder.AddResource(new ContainerResource("containerised-client")).WithImage("busybox").WithReference(kafka);
        });

    public ValueTask DisposeAsync() => _model.DisposeAsync();

    [Fact]
    public async Task Host_processes_bootstrap_through_the_published_port_and_the_broker_advertises_that_same_address_to_them()
    {
        var publishedPort = _model.HostPort("kafka", "tcp");
        var (brokerEnvironment, _) = await _model.ResolveAsync("kafka");
        var listeners = AdvertisedListeners(brokerEnvironment);

        foreach (var service in new[] { "api", "writer" })
        {
            var (environment, _) = await _model.ResolveAsync(service);
            Assert.Equal($"localhost:{publishedPort}", environment["ConnectionStrings__kafka"]);
        }

        // The listener bound to container port 9092, which the published port forwards to.
        Assert.Equal($"localhost:{publishedPort}", listeners["PLAINTEXT"]);
        Assert.Equal("0.0.0.0:9092", Listeners(brokerEnvironment)["PLAINTEXT"]);
        Assert.NotEqual(9092, publishedPort);
    }

    [Fact]
    public async Task Containers_bootstrap_through_the_internal_listener_and_the_broker_advertises_that_same_address_to_them()
    {
        var (clientEnvironment, _) = await _model.ResolveAsync("containerised-client");
        var (brokerEnvironment, _) = await _model.ResolveAsync("kafka");
        var internalAddress = AdvertisedListeners(brokerEnvironment)["PLAINTEXT_INTERNAL"];

        Assert.Equal(internalAddress, clientEnvironment["ConnectionStrings__kafka"]);
        Assert.Equal("0.0.0.0:9093", Listeners(brokerEnvironment)["PLAINTEXT_INTERNAL"]);
        Assert.EndsWith(":9093", internalAddress, StringComparison.Ordinal);
        Assert.DoesNotContain("localhost", internalAddress, StringComparison.Ordinal); // a container's localhost is itself
    }

    [Fact]
    public async Task Each_endpoint_resolves_to_its_own_network_whoever_asks()
    {
        var kafka = _model.Resource<KafkaServerResource>("kafka");
        var publishedPort = _model.HostPort("kafka", "tcp");

        foreach (var network in new[] { KnownNetworkIdentifiers.LocalhostNetwork, KnownNetworkIdentifiers.DefaultAspireContainerNetwork })
        {
            var context = new ValueProviderContext { Network = network, Caller = kafka };
            Assert.Equal($"localhost:{publishedPort}", await kafka.PrimaryEndpoint.Property(EndpointProperty.HostAndPort).GetValueAsync(context, default));
            Assert.Equal("kafka.dev.internal:9093", await kafka.InternalEndpoint.Property(EndpointProperty.HostAndPort).GetValueAsync(context, default));
        }

        // The AppHost itself (the health check, the topic creation) is a host process.
        Assert.Equal($"localhost:{publishedPort}", await kafka.ConnectionStringExpression.GetValueAsync(default));
    }

    [Fact]
    public async Task The_manifest_keeps_the_primary_bindings_for_the_bootstrap_servers_and_the_host_listener()
    {
        var kafka = _model.Resource<KafkaServerResource>("kafka");

        Assert.Equal("{kafka.bindings.tcp.host}:{kafka.bindings.tcp.port}", kafka.ConnectionStringExpression.ValueExpression);
#pragma warning disable CS0618 // The evaluator the testing docs show; its replacement is not public in 13.6.
        var environment = await kafka.GetEnvironmentVariableValuesAsync(DistributedApplicationOperation.Publish);
#pragma warning restore CS0618
        Assert.Equal(
            "PLAINTEXT://{kafka.bindings.tcp.host}:{kafka.bindings.tcp.port},PLAINTEXT_INTERNAL://{kafka.bindings.internal.host}:{kafka.bindings.internal.port}",
            environment["KAFKA_ADVERTISED_LISTENERS"]);
    }

    /// <summary>KAFKA_ADVERTISED_LISTENERS as listener name → host:port.</summary>
    private static Dictionary<string, string> AdvertisedListeners(IReadOnlyDictionary<string, string> environment) =>
        ParseListeners(environment["KAFKA_ADVERTISED_LISTENERS"]);

    private static Dictionary<string, string> Listeners(IReadOnlyDictionary<string, string> environment) =>
        ParseListeners(environment["KAFKA_LISTENERS"]);

    private static Dictionary<string, string> ParseListeners(string value) => value
        .Split(',')
        .Select(listener => listener.Split("://", 2))
        .ToDictionary(parts => parts[0], parts => parts[1]);
}

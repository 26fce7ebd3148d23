using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Lockout.AppHost.Infrastructure.Containers;

namespace Lockout.Tests.AppHost;

/// <summary>
/// The container-mode app model, built by the real AppHost and inspected, never run (no container runtime here).
/// </summary>
/// <remarks>
/// A model only: these tests check what the resources are configured with and cannot catch a broker that would
/// not start with that configuration. The addresses each network sees are in <see cref="KafkaNetworkTests"/>.
/// </remarks>
public sealed class ContainerModelTests : IAsyncLifetime
{
    private ContainerAppModel _model = null!;

    public async ValueTask InitializeAsync() => _model = await ContainerAppModel.BuildAsync();

    public ValueTask DisposeAsync() => _model.DisposeAsync();

    [Fact]
    public void Redis_postgres_and_kafka_are_containers_of_the_intended_images()
    {
        var kafka = Image("kafka");

        Assert.EndsWith("redis", Image("redis").Image, StringComparison.Ordinal);
        Assert.EndsWith("postgres", Image("postgres").Image, StringComparison.Ordinal);
        Assert.Equal(("apache/kafka", "4.1.0", "docker.io"), (kafka.Image, kafka.Tag, kafka.Registry));
        Assert.Contains(_model.Resources, resource => resource is PostgresDatabaseResource { Name: "lockoutdb" });
    }

    [Fact]
    public void Kafka_exposes_a_host_endpoint_and_a_container_network_endpoint_and_waits_on_a_broker_health_check()
    {
        var kafka = Resource<KafkaServerResource>("kafka");
        var endpoints = kafka.Annotations.OfType<EndpointAnnotation>().ToDictionary(endpoint => endpoint.Name);

        Assert.Equal(9092, endpoints["tcp"].TargetPort);
        Assert.Equal(9093, endpoints["internal"].TargetPort);
        Assert.Contains(kafka.Annotations.OfType<HealthCheckAnnotation>(), check => check.Key == "kafka_check");
        Assert.Equal("{kafka.bindings.tcp.host}:{kafka.bindings.tcp.port}", kafka.ConnectionStringExpression.ValueExpression);
    }

    [Fact]
    public async Task Kafka_runs_as_a_single_kraft_node_with_listeners_for_hosts_and_containers()
    {
#pragma warning disable CS0618 // The evaluator the testing docs show; its replacement is not public in 13.6.
        var environment = await Resource<KafkaServerResource>("kafka").GetEnvironmentVariableValuesAsync(DistributedApplicationOperation.Publish);
#pragma warning restore CS0618

        Assert.Equal("broker,controller", environment["KAFKA_PROCESS_ROLES"]);
        Assert.Equal("1@localhost:9094", environment["KAFKA_CONTROLLER_QUORUM_VOTERS"]);
        Assert.Equal("PLAINTEXT_INTERNAL", environment["KAFKA_INTER_BROKER_LISTENER_NAME"]);
        // Topics come from the creation step at start (see LocalAndContainerModeTests), never from first use.
        Assert.Equal("false", environment["KAFKA_AUTO_CREATE_TOPICS_ENABLE"]);
    }

    [Theory]
    [InlineData("api", new[] { "ConnectionStrings__redis", "ConnectionStrings__kafka", "ConnectionStrings__lockoutdb", "Lockout__AdminApiKey", "Lockout__Events__SigningKey" })]
    [InlineData("writer", new[] { "ConnectionStrings__kafka", "ConnectionStrings__lockoutdb", "Lockout__Events__SigningKey" })]
    public async Task The_services_get_the_connection_strings_aspire_integrations_expect(string service, string[] variables)
    {
#pragma warning disable CS0618
        var environment = await Resource<ProjectResource>(service).GetEnvironmentVariableValuesAsync(DistributedApplicationOperation.Publish);
#pragma warning restore CS0618

        Assert.All(variables, variable => Assert.Contains(variable, environment.Keys));
        Assert.Contains(Resource<ProjectResource>(service).Annotations.OfType<WaitAnnotation>(), wait => wait.Resource.Name == "kafka");
    }

    [Theory]
    [InlineData("api", "lockoutdb-api", "lockout_api")]
    [InlineData("writer", "lockoutdb-writer", "lockout_writer")]
    public async Task Each_service_connects_to_the_database_as_its_own_role_once_the_database_manager_has_run(string service, string login, string role)
    {
#pragma warning disable CS0618
        var environment = await Resource<ProjectResource>(service).GetEnvironmentVariableValuesAsync(DistributedApplicationOperation.Publish);
#pragma warning restore CS0618
        var loginExpression = Resource<IResourceWithConnectionString>(login).ConnectionStringExpression.ValueExpression;

        Assert.Equal($"{{{login}.connectionString}}", environment["ConnectionStrings__lockoutdb"]);
        Assert.Contains($"Username={role};Password={{{login}-password.value}}", loginExpression, StringComparison.Ordinal);
        Assert.Contains("{postgres.bindings.tcp.port}", loginExpression, StringComparison.Ordinal);
        Assert.Contains(Resource<ProjectResource>(service).Annotations.OfType<WaitAnnotation>(),
            wait => wait.Resource.Name == "database-manager" && wait.WaitType == WaitType.WaitForCompletion);
    }

    [Fact]
    public async Task Only_the_database_manager_gets_the_administrators_connection()
    {
        var administrator = new List<string>();
        foreach (var project in _model.Resources.OfType<ProjectResource>())
        {
#pragma warning disable CS0618
            var environment = await project.GetEnvironmentVariableValuesAsync(DistributedApplicationOperation.Publish);
#pragma warning restore CS0618
            if (environment.ContainsValue("{lockoutdb.connectionString}"))
            {
                administrator.Add(project.Name);
            }
        }

        Assert.Equal(["database-manager"], administrator);
    }

    [Fact]
    public async Task The_redis_container_defines_the_apis_and_the_relays_users_with_passwords_from_its_environment()
    {
        var redis = Resource<ContainerResource>("redis");
#pragma warning disable CS0618
        var arguments = await ((IResourceWithArgs)redis).GetArgumentValuesAsync(DistributedApplicationOperation.Publish);
        var environment = await redis.GetEnvironmentVariableValuesAsync(DistributedApplicationOperation.Publish);
#pragma warning restore CS0618
        var command = arguments[Array.IndexOf(arguments, "-c") + 1];

        Assert.StartsWith("redis-server --requirepass $REDIS_PASSWORD", command, StringComparison.Ordinal);
        Assert.Contains("--user lockout-api reset on \">$LOCKOUT_REDIS_API_PASSWORD\" 'resetkeys' '~lockout:*' 'resetchannels' '&lockout:outbox:wake' '-@all' '+eval'", command, StringComparison.Ordinal);
        Assert.Contains("--user lockout-relay reset on \">$LOCKOUT_REDIS_RELAY_PASSWORD\" 'resetkeys' '~lockout:{b?}:outbox'", command, StringComparison.Ordinal);
        Assert.Equal("{redis-api-password.value}", environment["LOCKOUT_REDIS_API_PASSWORD"]);
        Assert.Equal("{redis-relay-password.value}", environment["LOCKOUT_REDIS_RELAY_PASSWORD"]);
    }

    [Fact]
    public async Task The_api_connects_to_redis_as_its_own_users()
    {
#pragma warning disable CS0618
        var environment = await Resource<ProjectResource>("api").GetEnvironmentVariableValuesAsync(DistributedApplicationOperation.Publish);
#pragma warning restore CS0618

        Assert.Equal("{redis-api.connectionString}", environment["ConnectionStrings__redis"]);
        Assert.Equal("{redis-relay.connectionString}", environment["ConnectionStrings__redis-relay"]);
        Assert.Equal("{redis.bindings.tcp.host}:{redis.bindings.tcp.port},user=lockout-api,password={redis-api-password.value}",
            Resource<IResourceWithConnectionString>("redis-api").ConnectionStringExpression.ValueExpression);
    }

    private T Resource<T>(string name) where T : IResource => _model.Resource<T>(name);

    private ContainerImageAnnotation Image(string name) => Resource<ContainerResource>(name).Annotations.OfType<ContainerImageAnnotation>().Single();
}

using System.Diagnostics;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Confluent.Kafka;
using Lockout.AppHost.Infrastructure;
using Lockout.AppHost.Infrastructure.Containers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using StackExchange.Redis;

namespace Lockout.Tests.AppHost;

/// <summary>
/// Everything the services can observe of the infrastructure, gathered in each mode and compared: local mode from
/// the running AppHost (its real environment, broker and Redis), container mode from the app model resolved as DCP
/// would resolve it (<see cref="ContainerAppModel"/>).
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class LocalAndContainerModeTests(AppHostFixture local) : IClassFixture<AppHostFixture>, IAsyncLifetime
{
    private static readonly string[] Services = ["api", "writer"];
    private static readonly string[] RedisPersistenceSettings = ["appendonly", "appendfsync", "save", "maxmemory", "maxmemory-policy"];

    private ContainerAppModel _containers = null!;

    public async ValueTask InitializeAsync() => _containers = await ContainerAppModel.BuildAsync();

    public ValueTask DisposeAsync() => _containers.DisposeAsync();

    [Fact]
    public async Task The_services_observe_the_same_infrastructure_in_local_and_container_mode()
    {
        var localMode = await ObserveLocalModeAsync();
        var containerMode = await ObserveContainerModeAsync();

        Assert.Equal(localMode.Variables, containerMode.Variables);
        Assert.Equal(localMode.ConnectionStringShapes, containerMode.ConnectionStringShapes);
        Assert.Equal(localMode.Topics, containerMode.Topics);
        Assert.Equal(localMode.RedisSettings, containerMode.RedisSettings);
        Assert.Equal(localMode.DatabaseName, containerMode.DatabaseName);

        // Not vacuous: every part was found.
        Assert.All(Services, service => Assert.Contains($"{service}: ConnectionStrings__kafka", localMode.Variables));
        Assert.Subset(localMode.ConnectionStringShapes.Keys.ToHashSet(StringComparer.Ordinal), new HashSet<string>(["kafka", "lockoutdb", "redis", "redis-relay"]));
        Assert.Equal(2, localMode.Topics.Count);
        Assert.Equal(RedisPersistenceSettings.Length, localMode.RedisSettings.Count);
        Assert.Equal(LockoutInfrastructureExtensions.DatabaseName, localMode.DatabaseName);
    }

    [Fact]
    public async Task Local_redis_runs_with_the_persistence_settings_its_arguments_name()
    {
        var arguments = Settings(await ArgumentsAsync(local.App.Services, Resource(local.App, LockoutInfrastructureExtensions.RedisName)));
        // The services' Redis users may not read the configuration; the default user (the AppHost's) may.
        var administrator = await local.App.GetConnectionStringAsync(LockoutInfrastructureExtensions.RedisName);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(administrator + ",allowAdmin=true"); // CONFIG GET is an admin command
        var server = redis.GetServers().Single();

        foreach (var setting in new[] { "appendonly", "appendfsync", "save", "maxmemory-policy" })
        {
            var live = (await server.ConfigGetAsync(setting)).Single();
            Assert.Equal(arguments[setting], live.Value);
        }

        Assert.Equal(Bytes(arguments["maxmemory"]), long.Parse((await server.ConfigGetAsync("maxmemory")).Single().Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    private async Task<ObservedInfrastructure> ObserveLocalModeAsync()
    {
        var environments = Services.ToDictionary(service => service, service => (IReadOnlyDictionary<string, string>)Environment(local.App, service));

        // The topics as the running broker reports them.
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = environments["writer"]["ConnectionStrings__kafka"] }).Build();
        var topics = admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics
            .Where(topic => !topic.Topic.StartsWith("__", StringComparison.Ordinal)) // the broker's own
            .Select(topic => (topic.Topic, topic.Partitions.Count));

        var redisArguments = await ArgumentsAsync(local.App.Services, Resource(local.App, LockoutInfrastructureExtensions.RedisName));
        return Observe(environments, topics, redisArguments);
    }

    private async Task<ObservedInfrastructure> ObserveContainerModeAsync()
    {
        var environments = new Dictionary<string, IReadOnlyDictionary<string, string>>();
        foreach (var service in Services)
        {
            environments[service] = (await _containers.ResolveAsync(service)).Environment;
        }

        // The topics the AppHost creates when the broker is ready (auto-creation is off: see ContainerModelTests).
        var topics = _containers.Resource<KafkaServerResource>(LockoutInfrastructureExtensions.KafkaName).DeclaredTopics();

        var redis = _containers.Resource<ContainerResource>(LockoutInfrastructureExtensions.RedisName);
        var (redisEnvironment, redisArguments) = await _containers.ResolveAsync(LockoutInfrastructureExtensions.RedisName);
#pragma warning disable ASPIRECONTAINERSHELLEXECUTION001 // read only, to emulate what DCP does with the arguments
        Assert.True(redis.ShellExecution);
#pragma warning restore ASPIRECONTAINERSHELLEXECUTION001
        return Observe(environments, topics, await ArgumentsThroughShellAsync(redisArguments, redisEnvironment));
    }

    private static ObservedInfrastructure Observe(
        Dictionary<string, IReadOnlyDictionary<string, string>> environments,
        IEnumerable<(string Name, int Partitions)> topics,
        IReadOnlyList<string> redisArguments)
    {
        // Variables that come from the infrastructure references: connection strings and per-resource properties.
        string[] prefixes = ["ConnectionStrings__", .. new[] { "redis", "kafka", "lockoutdb", "postgres" }.Select(name => $"{name.ToUpperInvariant()}_")];
        var variables = environments
            .SelectMany(service => service.Value.Keys
                .Where(key => prefixes.Any(prefix => key.StartsWith(prefix, StringComparison.Ordinal)))
                .Select(key => $"{service.Key}: {key}"))
            .Order(StringComparer.Ordinal)
            .ToList();

        var connectionStrings = environments.Values
            .SelectMany(environment => environment.Where(variable => variable.Key.StartsWith("ConnectionStrings__", StringComparison.Ordinal)))
            .GroupBy(variable => variable.Key["ConnectionStrings__".Length..])
            .ToDictionary(group => group.Key, group => group.Select(variable => variable.Value).ToList());

        // Each service has a database login of its own, so the services' strings differ; their shape is one per name.
        var shapes = new SortedDictionary<string, string>(
            connectionStrings.ToDictionary(name => name.Key, name => Assert.Single(name.Value.Select(value => Shape(name.Key, value)).Distinct())),
            StringComparer.Ordinal);

        var settings = Settings(redisArguments);
        return new ObservedInfrastructure(
            variables,
            shapes,
            [.. topics.OrderBy(topic => topic.Name, StringComparer.Ordinal)],
            new SortedDictionary<string, string>(RedisPersistenceSettings.ToDictionary(setting => setting, setting => settings[setting]), StringComparer.Ordinal),
            Assert.Single(connectionStrings["lockoutdb"].Select(value => new NpgsqlConnectionStringBuilder(value).Database).Distinct()));
    }

    private static string Shape(string name, string connectionString) => name switch
    {
        _ when name.StartsWith("redis", StringComparison.Ordinal) => RedisShape(connectionString),
        "kafka" => KafkaShape(connectionString),
        _ => string.Join(";", new NpgsqlConnectionStringBuilder(connectionString).Keys.Order(StringComparer.Ordinal)),
    };

    /// <summary>StackExchange.Redis's format: endpoints, then options; the shape is how many endpoints and which options.</summary>
    private static string RedisShape(string connectionString)
    {
        var parts = connectionString.Split(',');
        var endpoints = parts.Count(part => !part.Contains('=', StringComparison.Ordinal));
        var options = parts.Where(part => part.Contains('=', StringComparison.Ordinal)).Select(part => part.Split('=')[0]).Order(StringComparer.Ordinal);
        Assert.All(parts.Where(part => !part.Contains('=', StringComparison.Ordinal)), endpoint => Assert.Matches(@"^[^:]+:\d+$", endpoint));
        return $"{endpoints} endpoint(s); options: {string.Join(",", options)}";
    }

    /// <summary>Bootstrap servers: a list of host:port.</summary>
    private static string KafkaShape(string bootstrapServers)
    {
        var servers = bootstrapServers.Split(',');
        Assert.All(servers, server => Assert.Matches(@"^[^:,=;]+:\d+$", server));
        return $"{servers.Length} host:port";
    }

    /// <summary>redis-server's <c>--name value...</c> arguments as settings.</summary>
    private static Dictionary<string, string> Settings(IReadOnlyList<string> arguments)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        string? name = null;
        foreach (var argument in arguments)
        {
            if (argument.StartsWith("--", StringComparison.Ordinal))
            {
                name = argument[2..];
                settings[name] = "";
            }
            else if (name is not null)
            {
                settings[name] = settings[name].Length == 0 ? argument : $"{settings[name]} {argument}";
            }
        }

        return settings;
    }

    /// <summary>
    /// The arguments redis-server receives in the container: DCP joins a shell-executed container's arguments into one
    /// <c>/bin/sh -c</c> command line (as Aspire's Redis asks, to expand the password), and here a real shell runs that
    /// line with a stand-in redis-server (first on PATH) that prints the arguments it receives.
    /// </summary>
    private static async Task<IReadOnlyList<string>> ArgumentsThroughShellAsync(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment)
    {
        var folder = Directory.CreateTempSubdirectory("lockout-redis-stand-in");
        try
        {
            var standIn = Path.Combine(folder.FullName, "redis-server");
            await File.WriteAllTextAsync(standIn, "#!/bin/sh\nprintf '%s\\0' \"$@\"\n");
            File.SetUnixFileMode(standIn, UnixFileMode.UserRead | UnixFileMode.UserExecute);

            var start = new ProcessStartInfo("/bin/sh", ["-c", string.Join(' ', arguments)])
            {
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            foreach (var (name, value) in environment)
            {
                start.Environment[name] = value;
            }

            start.Environment["PATH"] = $"{folder.FullName}:{start.Environment["PATH"]}";
            using var shell = Process.Start(start)!;
            var output = await shell.StandardOutput.ReadToEndAsync();
            await shell.WaitForExitAsync();
            Assert.Equal(0, shell.ExitCode);
            return output.Split('\0')[..^1];
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static async Task<IReadOnlyList<string>> ArgumentsAsync(IServiceProvider services, IResource resource)
    {
        var configuration = await ExecutionConfigurationBuilder.Create(resource)
            .WithArgumentsConfig()
            .BuildAsync(services.GetRequiredService<DistributedApplicationExecutionContext>(), NullLogger.Instance, TestContext.Current.CancellationToken);
        Assert.Null(configuration.Exception);
        return [.. configuration.Arguments.Select(argument => argument.Value)];
    }

    /// <summary>The environment DCP started a service with, as the dashboard shows it.</summary>
    private static Dictionary<string, string> Environment(DistributedApplication app, string service)
    {
        Assert.True(app.ResourceNotifications.TryGetCurrentState(service, out var state));
        return state.Snapshot.EnvironmentVariables.Where(variable => variable.IsFromSpec).ToDictionary(variable => variable.Name, variable => variable.Value ?? "");
    }

    private static IResource Resource(DistributedApplication app, string name) =>
        app.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(resource => resource.Name == name);

    private static long Bytes(string size) => size.ToLowerInvariant() switch
    {
        var value when value.EndsWith("gb", StringComparison.Ordinal) => long.Parse(value[..^2], System.Globalization.CultureInfo.InvariantCulture) << 30,
        var value when value.EndsWith("mb", StringComparison.Ordinal) => long.Parse(value[..^2], System.Globalization.CultureInfo.InvariantCulture) << 20,
        var value => long.Parse(value, System.Globalization.CultureInfo.InvariantCulture),
    };

    private sealed record ObservedInfrastructure(
        IReadOnlyList<string> Variables,
        SortedDictionary<string, string> ConnectionStringShapes,
        IReadOnlyList<(string Name, int Partitions)> Topics,
        SortedDictionary<string, string> RedisSettings,
        string? DatabaseName);
}

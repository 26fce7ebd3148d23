using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lockout.Tests.AppHost;

/// <summary>
/// The AppHost's container-mode app model, built by the real AppHost and never started (no container runtime here),
/// with every endpoint given the addresses Aspire's orchestrator (DCP) gives it at run time. Values are resolved
/// through the API DCP itself resolves a resource's arguments and environment with before starting it
/// (<see cref="ExecutionConfigurationBuilder"/>): a host process's values resolve for the host network, a
/// container's for the container network.
/// </summary>
public sealed class ContainerAppModel : IAsyncDisposable
{
    /// <summary>The first port handed out for an endpoint without a fixed one, as DCP hands out free ports.</summary>
    private const int FirstAllocatedPort = 41_000;

    private readonly DirectoryInfo _fakeRuntimeFolder;

    private readonly IDistributedApplicationTestingBuilder _builder;

    private ContainerAppModel(IDistributedApplicationTestingBuilder builder, DirectoryInfo fakeRuntimeFolder)
    {
        _builder = builder;
        _fakeRuntimeFolder = fakeRuntimeFolder;
    }

    /// <summary>The resources, as the AppHost declared them.</summary>
    public IResourceCollection Resources => _builder.Resources;

    /// <param name="extend">Adds resources to the model before it is built (a container that references Kafka, say).</param>
    public static async Task<ContainerAppModel> BuildAsync(Action<IDistributedApplicationTestingBuilder>? extend = null)
    {
        // A stand-in runtime client whose `info` succeeds, so the AppHost chooses containers as it would with Docker.
        // Handed over as configuration (the AppHost reads ASPIRE_CONTAINER_RUNTIME there): no process-wide variable.
        var folder = Directory.CreateTempSubdirectory("lockout-fake-runtime");
        var fakeRuntime = Path.Combine(folder.FullName, "docker");
        await File.WriteAllTextAsync(fakeRuntime, "#!/bin/sh\n[ \"$1\" = info ] && exit 0\nexit 1\n");
        File.SetUnixFileMode(fakeRuntime, UnixFileMode.UserRead | UnixFileMode.UserExecute);

        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Lockout_AppHost>(
            ["--Infrastructure:Mode=auto", $"--ASPIRE_CONTAINER_RUNTIME={fakeRuntime}", "--Parameters:admin-api-key=model-test-admin-key-0123456789abcdef"],
            (options, _) => options.DisableDashboard = true);
        extend?.Invoke(builder);
        // Not built into an application: nothing below needs its services, and disposing a built application that
        // never started waits 30 s for it to stop.
        var model = new ContainerAppModel(builder, folder);
        model.AllocateEndpointsAsDcpDoes();
        return model;
    }

    public async ValueTask DisposeAsync()
    {
        await _builder.DisposeAsync();
        _fakeRuntimeFolder.Delete(recursive: true);
    }

    public T Resource<T>(string name) where T : IResource => Resources.OfType<T>().Single(resource => resource.Name == name);

    /// <summary>The port DCP allocated on the host for an endpoint: the port host processes dial.</summary>
    public int HostPort(string resource, string endpoint) =>
        Resource<IResourceWithEndpoints>(resource).Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == endpoint).AllocatedEndpoint!.Port;

    /// <summary>A resource's environment and arguments, resolved as DCP resolves them before it starts the resource.</summary>
    public async Task<(IReadOnlyDictionary<string, string> Environment, IReadOnlyList<string> Arguments)> ResolveAsync(string resource)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)); // an unallocated endpoint would wait forever
        var configuration = await ExecutionConfigurationBuilder.Create(Resource<IResource>(resource))
            .WithArgumentsConfig()
            .WithEnvironmentVariablesConfig()
            .BuildAsync(_builder.ExecutionContext, NullLogger.Instance, timeout.Token);
        Assert.Null(configuration.Exception);
        return (configuration.EnvironmentVariables.ToDictionary(), [.. configuration.Arguments.Select(argument => argument.Value)]);
    }

    /// <summary>
    /// What DCP does once its services have addresses (Aspire.Hosting's DcpModelUtilities): every endpoint gets
    /// localhost and a port on the host network (its fixed port, else a free one: the proxy's, for a container); a
    /// container's endpoint also gets the container's <c>.dev.internal</c> alias and its target port on the container
    /// network; a host process's gets the host as containers see it.
    /// </summary>
    private void AllocateEndpointsAsDcpDoes()
    {
        var nextPort = FirstAllocatedPort;
        foreach (var resource in Resources)
        {
            foreach (var endpoint in resource.Annotations.OfType<EndpointAnnotation>())
            {
                var port = endpoint.Port ?? nextPort++;
                var targetPortExpression = $$$"""{{- portForServing "{{{resource.Name}}}-{{{endpoint.Name}}}" -}}""";
                endpoint.AllAllocatedEndpoints.AddOrUpdateAllocatedEndpoint(
                    KnownNetworkIdentifiers.LocalhostNetwork,
                    new AllocatedEndpoint(endpoint, "localhost", port, EndpointBindingMode.SingleAddress, targetPortExpression, KnownNetworkIdentifiers.LocalhostNetwork));
                var (containerNetworkHost, containerNetworkPort) = resource.IsContainer()
                    ? ($"{resource.Name}.dev.internal", endpoint.TargetPort ?? port)
                    : ("host.docker.internal", port);
                endpoint.AllAllocatedEndpoints.AddOrUpdateAllocatedEndpoint(
                    KnownNetworkIdentifiers.DefaultAspireContainerNetwork,
                    new AllocatedEndpoint(endpoint, containerNetworkHost, containerNetworkPort, EndpointBindingMode.SingleAddress, targetPortExpression, KnownNetworkIdentifiers.DefaultAspireContainerNetwork));
            }
        }
    }
}

using Lockout.AppHost.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace Lockout.UnitTests.AppHost;

/// <summary>
/// The probe against small scripts that behave as the runtimes' clients do: Docker's and Podman's <c>info</c> exit 0
/// only when they reach an engine, and Podman rejects a <c>--format</c> template naming a field only Docker has.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // shell scripts stand in for the runtimes
public sealed class ContainerRuntimeProbeTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("lockout-runtime-probe");

    public void Dispose() => _folder.Delete(recursive: true);

    [Fact]
    public void A_runtime_whose_client_is_missing_does_not_answer()
    {
        Assert.False(ContainerRuntimeProbe.Answers(Path.Combine(_folder.FullName, "lockout-no-such-runtime")));
    }

    [Fact]
    public void Docker_answers_when_info_reaches_the_engine_and_not_when_the_daemon_is_down()
    {
        var running = Script("docker-running", """[ "$1" = "info" ] && { echo "Server Version: 27.3.1"; exit 0; }; exit 64""");
        var stopped = Script("docker-stopped", """echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock." >&2; exit 1""");

        Assert.True(ContainerRuntimeProbe.Answers(running));
        Assert.False(ContainerRuntimeProbe.Answers(stopped));
    }

    [Fact]
    public void Podman_answers_through_plain_info()
    {
        // Podman 4's info has no ServerVersion field: a Docker-specific --format template makes it exit 125.
        var podman = Script("podman", """
            if [ "$*" = "info" ]; then echo "host:"; echo "  arch: amd64"; exit 0; fi
            echo 'Error: template: info:1:2: executing "info" at <.ServerVersion>: can'"'"'t evaluate field ServerVersion' >&2
            exit 125
            """);

        Assert.True(ContainerRuntimeProbe.Answers(podman));
    }

    [Fact]
    public void A_runtime_whose_info_hangs_does_not_answer_after_the_timeout()
    {
        var hanging = Script("docker-hanging", "exec sleep 60");
        var started = System.Diagnostics.Stopwatch.StartNew();

        Assert.False(ContainerRuntimeProbe.Answers(hanging, TimeSpan.FromSeconds(1)));
        Assert.InRange(started.Elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(20));
    }

    [Theory]
    [InlineData("podman", null, "podman")]
    [InlineData(null, "podman", "podman")]
    [InlineData("docker", "podman", "docker")] // the current name wins over the older one, as in Aspire
    public void The_configured_runtime_is_the_only_one_asked(string? current, string? legacy, string expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ASPIRE_CONTAINER_RUNTIME"] = current,
            ["DOTNET_ASPIRE_CONTAINER_RUNTIME"] = legacy,
        }).Build();

        Assert.Equal([expected], ContainerRuntimeProbe.Candidates(configuration));
    }

    [Fact]
    public void Without_configuration_docker_then_podman_are_asked()
    {
        Assert.Equal(["docker", "podman"], ContainerRuntimeProbe.Candidates(new ConfigurationBuilder().Build()));
    }

    [Fact]
    public void The_first_runtime_that_answers_is_chosen_and_later_ones_are_not_asked()
    {
        var stopped = Script("docker", "exit 1");
        var podman = Script("podman", """[ "$*" = "info" ] && exit 0; exit 125""");
        var never = Script("never", "exit 0");
        var asked = new List<string>();

        var chosen = ContainerRuntimeProbe.FindAnswering([stopped, podman, never], runtime =>
        {
            asked.Add(runtime);
            return ContainerRuntimeProbe.Answers(runtime);
        });

        Assert.Equal(podman, chosen);
        Assert.Equal([stopped, podman], asked);
    }

    private string Script(string name, string body)
    {
        var path = Path.Combine(_folder.FullName, name);
        File.WriteAllText(path, $"#!/bin/sh\n{body}\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}

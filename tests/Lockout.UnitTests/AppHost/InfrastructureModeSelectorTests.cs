using Lockout.AppHost.Infrastructure;

namespace Lockout.UnitTests.AppHost;

public sealed class InfrastructureModeSelectorTests
{
    private static readonly LocalToolchain Toolchain = new("/usr/bin/redis-server", "/usr/lib/postgresql/15/bin");
    private static readonly string[] Runtimes = ["docker", "podman"];

    [Fact]
    public void Auto_picks_local_when_no_container_runtime_answers()
    {
        var (mode, toolchain, runtime) = InfrastructureModeSelector.Select(InfrastructureMode.Auto, Runtimes, _ => false, () => (Toolchain, null));

        Assert.Equal((InfrastructureMode.Local, Toolchain, (string?)null), (mode, toolchain, runtime));
    }

    [Fact]
    public void Auto_picks_containers_when_a_runtime_answers()
    {
        var (mode, _, runtime) = InfrastructureModeSelector.Select(InfrastructureMode.Auto, Runtimes, _ => true, () => throw new InvalidOperationException("not asked"));

        Assert.Equal((InfrastructureMode.Containers, "docker"), (mode, runtime));
    }

    [Fact]
    public void Auto_picks_containers_with_podman_when_only_podman_answers()
    {
        var asked = new List<string>();
        var (mode, _, runtime) = InfrastructureModeSelector.Select(
            InfrastructureMode.Auto, Runtimes, name => { asked.Add(name); return name == "podman"; }, () => throw new InvalidOperationException("not asked"));

        Assert.Equal((InfrastructureMode.Containers, "podman"), (mode, runtime));
        Assert.Equal(Runtimes, asked);
    }

    [Fact]
    public void Auto_with_neither_names_both_ways_out_in_one_sentence()
    {
        var exception = Assert.Throws<InfrastructureUnavailableException>(() =>
            InfrastructureModeSelector.Select(InfrastructureMode.Auto, Runtimes, _ => false, () => (null, "redis-server")));

        Assert.Contains("Docker or Podman", exception.Message, StringComparison.Ordinal);
        Assert.Contains("redis-server and postgresql", exception.Message, StringComparison.Ordinal);
        Assert.Single(exception.Message.Split(". ", StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Forced_containers_without_a_runtime_fail_with_what_to_start()
    {
        var exception = Assert.Throws<InfrastructureUnavailableException>(() =>
            InfrastructureModeSelector.Select(InfrastructureMode.Containers, Runtimes, _ => false, () => (Toolchain, null)));

        Assert.StartsWith("Infrastructure:Mode is 'containers' but no container runtime answers ('docker info' and 'podman info' failed)", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Forced_local_without_the_programs_names_the_missing_one_and_the_packages()
    {
        var empty = Directory.CreateTempSubdirectory();
        try
        {
            var toolchain = LocalToolchain.Find(out var missing, empty.FullName, searchWellKnownFolders: false);

            var exception = Assert.Throws<InfrastructureUnavailableException>(() =>
                InfrastructureModeSelector.Select(InfrastructureMode.Local, Runtimes, _ => true, () => (toolchain, missing)));

            Assert.Null(toolchain);
            Assert.Equal(
                "Infrastructure:Mode is 'local' but redis-server and the PostgreSQL server (postgres, initdb) was not found: install the Debian packages redis-server and postgresql (sudo apt-get install redis-server postgresql).",
                exception.Message);
        }
        finally
        {
            empty.Delete();
        }
    }
}

using System.Diagnostics;
using Lockout.AppHost.Infrastructure;
using Lockout.Tests.Infrastructure;

namespace Lockout.Tests.AppHost;

[Collection(ProcessEnvironmentCollection.Name)]
public sealed class InfrastructureModeTests
{
    private static readonly LocalToolchain Toolchain = new("/usr/bin/redis-server", "/usr/lib/postgresql/15/bin");

    [Fact]
    public void Auto_picks_local_when_no_container_runtime_answers()
    {
        var (mode, toolchain) = InfrastructureModeSelector.Select(InfrastructureMode.Auto, () => false, () => (Toolchain, null));

        Assert.Equal((InfrastructureMode.Local, Toolchain), (mode, toolchain));
    }

    [Fact]
    public void Auto_picks_containers_when_a_runtime_answers()
    {
        var (mode, _) = InfrastructureModeSelector.Select(InfrastructureMode.Auto, () => true, () => throw new InvalidOperationException("not asked"));

        Assert.Equal(InfrastructureMode.Containers, mode);
    }

    [Fact]
    public void Auto_with_neither_names_both_ways_out_in_one_sentence()
    {
        var exception = Assert.Throws<InfrastructureUnavailableException>(() =>
            InfrastructureModeSelector.Select(InfrastructureMode.Auto, () => false, () => (null, "redis-server")));

        Assert.Contains("Docker or Podman", exception.Message, StringComparison.Ordinal);
        Assert.Contains("redis-server and postgresql", exception.Message, StringComparison.Ordinal);
        Assert.Single(exception.Message.Split(". ", StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Forced_containers_without_a_runtime_fail_with_what_to_start()
    {
        var exception = Assert.Throws<InfrastructureUnavailableException>(() =>
            InfrastructureModeSelector.Select(InfrastructureMode.Containers, () => false, () => (Toolchain, null)));

        Assert.StartsWith("Infrastructure:Mode is 'containers' but no container runtime answers", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Forced_local_without_the_programs_names_the_missing_one_and_the_packages()
    {
        var empty = Directory.CreateTempSubdirectory();
        var toolchain = LocalToolchain.Find(out var missing, [empty.FullName]);

        var exception = Assert.Throws<InfrastructureUnavailableException>(() =>
            InfrastructureModeSelector.Select(InfrastructureMode.Local, () => true, () => (toolchain, missing)));

        Assert.Null(toolchain);
        Assert.Equal(
            "Infrastructure:Mode is 'local' but redis-server and the PostgreSQL server (postgres, initdb) was not found: install the Debian packages redis-server and postgresql (sudo apt-get install redis-server postgresql).",
            exception.Message);
    }

    [Fact]
    public void This_machines_toolchain_is_found_even_with_postgres_off_the_path()
    {
        var toolchain = LocalToolchain.Find(out var missing);

        Assert.Null(missing);
        Assert.True(File.Exists(toolchain!.Postgres));
        Assert.True(File.Exists(toolchain.InitDb));
    }

    [Fact]
    public void A_runtime_whose_client_is_missing_does_not_answer()
    {
        var previous = Environment.GetEnvironmentVariable("ASPIRE_CONTAINER_RUNTIME");
        Environment.SetEnvironmentVariable("ASPIRE_CONTAINER_RUNTIME", "lockout-no-such-runtime");
        try
        {
            Assert.False(ContainerRuntimeProbe.IsAvailable());
        }
        finally
        {
            Environment.SetEnvironmentVariable("ASPIRE_CONTAINER_RUNTIME", previous);
        }
    }

    [Fact]
    public async Task The_apphost_stops_with_the_sentence_and_a_failure_code_when_the_forced_mode_cannot_run()
    {
        var appHost = Path.Combine(WriterProcess.RepositoryRoot(), "src", "Lockout.AppHost", "bin",
            new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name, "net10.0", "Lockout.AppHost.dll");
        var start = new ProcessStartInfo("dotnet", [appHost, "--Infrastructure:Mode=containers"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.Environment["ASPIRE_CONTAINER_RUNTIME"] = "lockout-no-such-runtime";

        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);

        Assert.Equal(1, process.ExitCode);
        Assert.StartsWith("Infrastructure:Mode is 'containers' but no container runtime answers ('lockout-no-such-runtime info' failed)", (await errors).Trim(), StringComparison.Ordinal);
        Assert.DoesNotContain("Distributed application started", await output, StringComparison.Ordinal);
    }
}

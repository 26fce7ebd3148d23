using System.Diagnostics;
using Lockout.AppHost.Infrastructure;
using Lockout.Tests.Infrastructure;

namespace Lockout.Tests.AppHost;

/// <summary>What local mode finds on this machine, and how the AppHost stops when the chosen mode cannot run.</summary>
public sealed class InfrastructureModeTests
{
    [Fact]
    public void This_machines_toolchain_is_found_even_with_postgres_off_the_path()
    {
        // This machine's PATH without any folder that holds PostgreSQL's server programs, as on Debian.
        var path = string.Join(Path.PathSeparator, (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(folder => !File.Exists(Path.Combine(folder, "postgres")) && !File.Exists(Path.Combine(folder, "initdb"))));
        Assert.Null(LocalToolchain.Find(out _, path, searchWellKnownFolders: false)); // not findable on that PATH alone

        var toolchain = LocalToolchain.Find(out var missing, path, searchWellKnownFolders: true);

        Assert.Null(missing);
        Assert.True(File.Exists(toolchain!.Postgres));
        Assert.True(File.Exists(toolchain.InitDb));
        Assert.DoesNotContain(toolchain.PostgresBinDirectory, path.Split(Path.PathSeparator));
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

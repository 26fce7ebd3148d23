using System.Diagnostics;
using Lockout.Tests.AppHost;
using Lockout.Tests.Infrastructure;

namespace Lockout.Tests.Benchmark;

/// <summary>
/// Runs the benchmark's seconds-long smoke so the tool does not rot. It checks correctness, not speed: the smoke
/// fails on a lost or duplicated lock event, a verification beyond the guess budget, or a failed request.
/// </summary>
[Collection(AppHostCollection.Name)] // one AppHost at a time keeps the two cores for the one under test
public sealed class BenchmarkSmokeTests
{
    [Fact]
    public async Task The_benchmark_smoke_runs_every_scenario_in_both_policy_modes_and_finds_nothing_lost_or_over_budget()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var benchmark = Path.Combine(WriterProcess.RepositoryRoot(), "bench", "Lockout.Benchmarks", "bin", configuration, "net10.0", "Lockout.Benchmarks.dll");
        var output = Directory.CreateTempSubdirectory("lockout-bench-smoke");
        var start = new ProcessStartInfo("dotnet", [benchmark, "--smoke", "--out", output.FullName])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = WriterProcess.RepositoryRoot(),
        };

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        // A guard against a hung smoke, not a speed goal: it takes about 4 minutes alone on two cores, and longer when
        // the machine is shared.
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // A hung smoke must not leave its AppHost, Redis or PostgreSQL behind for the tests that follow.
            process.Kill(entireProcessTree: true);
            Assert.Fail($"The smoke did not end within 10 minutes; it had printed:{Environment.NewLine}{await stdout}{Environment.NewLine}{await stderr}");
        }

        Assert.True(process.ExitCode == 0, $"The smoke exited with {process.ExitCode}:{Environment.NewLine}{await stdout}{Environment.NewLine}{await stderr}");
        var results = output.GetFiles("*.json", SearchOption.AllDirectories);
        Assert.NotEmpty(results);
        // The source scenarios ran on Lockout in Smart mode too (a second AppHost, started after the first).
        Assert.Contains(results, file => File.ReadAllText(file.FullName).Contains("\"Lockout Smart\"", StringComparison.Ordinal));
        Assert.NotEmpty(output.GetFiles("*.png", SearchOption.AllDirectories));
        output.Delete(recursive: true);
    }
}

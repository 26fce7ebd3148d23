using Spectre.Console;

namespace Lockout.Benchmarks.Measurement;

/// <summary>
/// Waits, within limits, until programs other than the benchmark's own stop using the CPU: on a shared two-core
/// machine a neighbour's compile would otherwise be measured as the system's slowness.
/// </summary>
internal static class QuietMachine
{
    private const double QuietCores = 0.25;
    private static readonly TimeSpan Sample = TimeSpan.FromSeconds(1);

    /// <returns>The busy cores outside <paramref name="ours"/> at the last look.</returns>
    public static async Task<double> WaitAsync(IReadOnlyList<ProcessGroup> ours, TimeSpan maxWait, CancellationToken cancellationToken)
    {
        if (maxWait <= TimeSpan.Zero)
        {
            return 0;
        }

        var deadline = DateTime.UtcNow + maxWait;
        var outside = await OutsideCoresAsync(ours, cancellationToken);
        if (outside <= QuietCores)
        {
            return outside;
        }

        return await AnsiConsole.Status().StartAsync($"Other programs are using {outside:0.00} cores; waiting up to {maxWait.TotalSeconds:0} s for a quiet machine…", async status =>
        {
            while (outside > QuietCores && DateTime.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
                outside = await OutsideCoresAsync(ours, cancellationToken);
                status.Status($"Other programs are using {outside:0.00} cores; waiting for a quiet machine…");
            }

            return outside;
        });
    }

    private static async Task<double> OutsideCoresAsync(IReadOnlyList<ProcessGroup> ours, CancellationToken cancellationToken)
    {
        var (machineBefore, oursBefore) = (ProcFs.MachineBusyTicks(), OurTicks(ours));
        await Task.Delay(Sample, cancellationToken);
        var (machineAfter, oursAfter) = (ProcFs.MachineBusyTicks(), OurTicks(ours));
        return Math.Max(0, (machineAfter - machineBefore) - (oursAfter - oursBefore)) / ProcFs.TicksPerSecond / Sample.TotalSeconds;
    }

    private static long OurTicks(IReadOnlyList<ProcessGroup> ours)
    {
        var all = ProcFs.AllProcesses().ToList();
        return ours.Sum(group => group.CpuTicks(all));
    }
}

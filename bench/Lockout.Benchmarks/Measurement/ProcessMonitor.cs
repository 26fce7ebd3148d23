using Lockout.Benchmarks.Systems;

namespace Lockout.Benchmarks.Measurement;

/// <summary>
/// Peak memory and CPU of each role's processes over one run, and of the whole machine (so a noisy neighbour shows).
/// </summary>
/// <remarks>
/// A single process's peak is its VmHWM, reset at the start of the run. PostgreSQL is one process per connection
/// sharing its buffers, so adding up VmHWM would count the shared memory once per backend: its peak is the highest
/// sampled sum of the processes' private memory (RssAnon) plus their shared memory once (the largest RssShmem).
/// Both come from <c>/proc/PID/status</c>; Pss from <c>smaps_rollup</c> would be exact but walks every page table,
/// which cost the generator a tenth of a core while sampling. A role's short-lived children (wrk, started for each
/// run) add their highest sampled resident size to the role's peak.
/// </remarks>
internal sealed class ProcessMonitor : IAsyncDisposable
{
    private static readonly TimeSpan SampleInterval = TimeSpan.FromMilliseconds(500);

    private readonly IReadOnlyList<ProcessGroup> _groups;
    private readonly Dictionary<string, long> _startCpuTicks = [];
    private readonly Dictionary<string, long> _peakSampledBytes = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampler;
    private long _startMachineTicks;
    private DateTime _startedAt;

    private ProcessMonitor(IReadOnlyList<ProcessGroup> groups)
    {
        _groups = groups;
        var all = ProcFs.AllProcesses().ToList();
        foreach (var group in _groups)
        {
            if (!group.IncludeChildren)
            {
                foreach (var pid in group.Pids)
                {
                    ProcFs.ResetPeakMemory(pid);
                }
            }

            _startCpuTicks[group.Role] = group.CpuTicks(all);
            _peakSampledBytes[group.Role] = 0;
        }

        _startMachineTicks = ProcFs.MachineBusyTicks();
        _startedAt = DateTime.UtcNow;
        _sampler = Task.Run(SampleAsync);
    }

    public static ProcessMonitor Start(IEnumerable<ProcessGroup> groups) => new([.. groups.DistinctBy(group => group.Role)]);

    /// <summary>Stops sampling and reports each role's peak memory and CPU use since the start.</summary>
    public async Task<ResourceUsage> StopAsync()
    {
        await _stop.CancelAsync();
        await _sampler;

        var elapsed = (DateTime.UtcNow - _startedAt).TotalSeconds;
        var all = ProcFs.AllProcesses().ToList();
        var roles = new List<RoleUsage>();
        double oursCores = 0;
        foreach (var group in _groups)
        {
            var cores = (group.CpuTicks(all) - _startCpuTicks[group.Role]) / ProcFs.TicksPerSecond / elapsed;
            oursCores += cores;
            var peak = group.IncludeChildren
                ? _peakSampledBytes[group.Role]
                : group.Pids.Sum(pid => ProcFs.ReadKilobytesField(pid, "status", "VmHWM")) + _peakSampledBytes[group.Role];
            roles.Add(new RoleUsage(group.Role, peak / (1024.0 * 1024.0), cores));
        }

        var machineCores = (ProcFs.MachineBusyTicks() - _startMachineTicks) / ProcFs.TicksPerSecond / elapsed;
        return new ResourceUsage(roles, machineCores, Math.Max(0, machineCores - oursCores));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }

        _stop.Dispose();
    }

    private async Task SampleAsync()
    {
        var multiProcess = _groups.Where(group => group.IncludeChildren || group.ChildName is not null).ToList();
        if (multiProcess.Count == 0)
        {
            return;
        }

        using var timer = new PeriodicTimer(SampleInterval);
        do
        {
            var all = ProcFs.AllProcesses().ToList();
            foreach (var group in multiProcess)
            {
                // Whole group (postgres), or only the short-lived children whose peak the parent's VmHWM misses (wrk).
                List<int> pids = group.IncludeChildren ? [.. group.CurrentPids(all)] : [.. group.Children(all).Select(process => process.Pid)];
                var resident = pids.Sum(pid => ProcFs.ReadKilobytesField(pid, "status", "RssAnon"))
                    + pids.Select(pid => ProcFs.ReadKilobytesField(pid, "status", "RssShmem")).DefaultIfEmpty(0).Max();
                _peakSampledBytes[group.Role] = Math.Max(_peakSampledBytes[group.Role], resident);
            }
        }
        while (await WaitAsync(timer));
    }

    private async Task<bool> WaitAsync(PeriodicTimer timer)
    {
        try
        {
            return await timer.WaitForNextTickAsync(_stop.Token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}

/// <summary>Peak memory (MiB) and average CPU (cores) of one role over a run.</summary>
internal sealed record RoleUsage(string Role, double PeakMemoryMiB, double Cores);

/// <param name="MachineCores">Busy cores of the whole machine, on average.</param>
/// <param name="OutsideCores">Busy cores not accounted for by the roles measured: other programs on the machine.</param>
internal sealed record ResourceUsage(IReadOnlyList<RoleUsage> Roles, double MachineCores, double OutsideCores)
{
    public RoleUsage? this[string role] => Roles.FirstOrDefault(usage => usage.Role == role);
}

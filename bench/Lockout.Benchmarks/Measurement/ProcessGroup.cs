namespace Lockout.Benchmarks.Measurement;

/// <summary>
/// The processes of one role (api, writer, redis, postgres, ...): one or more processes, and with
/// <paramref name="IncludeChildren"/> their children too (PostgreSQL forks a backend per connection).
/// </summary>
internal sealed record ProcessGroup(string Role, IReadOnlyList<int> Pids, bool IncludeChildren)
{
    public ProcessGroup(string role, int pid, bool includeChildren)
        : this(role, [pid], includeChildren)
    {
    }

    public IReadOnlyList<int> CurrentPids(IReadOnlyList<ProcFs.ProcessStat> all) =>
        IncludeChildren ? [.. Pids, .. all.Where(process => Pids.Contains(process.ParentPid)).Select(process => process.Pid)] : Pids;
}

namespace Lockout.Benchmarks.Measurement;

/// <summary>
/// The processes of one role (api, writer, redis, postgres, ...): one or more processes, and with
/// <paramref name="IncludeChildren"/> their children too (PostgreSQL forks a backend per connection, and one per
/// cancel request).
/// </summary>
/// <param name="ChildName">Children of this name belong to the role too (the benchmark's wrk), the others not.</param>
/// <remarks>
/// A child that exits inside a run takes its CPU time out of <c>/proc</c> with it, and would show as "outside": a wrk
/// run ends before its window does, and so do the short-lived backends that deliver PostgreSQL cancel requests (a
/// client that drops its connections mid-request, as wrk does when it stops, provokes hundreds). Once the parent has
/// waited for it, the kernel adds its time to the parent's cutime/cstime, which a role with children counts too.
/// </remarks>
internal sealed record ProcessGroup(string Role, IReadOnlyList<int> Pids, bool IncludeChildren, string? ChildName = null)
{
    public ProcessGroup(string role, int pid, bool includeChildren)
        : this(role, [pid], includeChildren)
    {
    }

    public IReadOnlyList<int> CurrentPids(IReadOnlyList<ProcFs.ProcessStat> all) => [.. Pids, .. Children(all).Select(process => process.Pid)];

    /// <summary>The live children that belong to the role (none unless <see cref="IncludeChildren"/> or <see cref="ChildName"/>).</summary>
    public IEnumerable<ProcFs.ProcessStat> Children(IReadOnlyList<ProcFs.ProcessStat> all) =>
        IncludeChildren || ChildName is not null
            ? all.Where(process => Pids.Contains(process.ParentPid) && (IncludeChildren || process.Name == ChildName))
            : [];

    /// <summary>CPU ticks used so far by the role's processes, live children included and, if it has children, exited ones too.</summary>
    public long CpuTicks(IReadOnlyList<ProcFs.ProcessStat> all)
    {
        var hasChildren = IncludeChildren || ChildName is not null;
        var pids = CurrentPids(all).ToHashSet();
        return all.Where(process => pids.Contains(process.Pid))
            .Sum(process => process.CpuTicks + (hasChildren && Pids.Contains(process.Pid) ? process.ExitedChildrenCpuTicks : 0));
    }
}

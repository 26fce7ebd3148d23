using Lockout.Benchmarks.Measurement;

namespace Lockout.Benchmarks.Systems;

/// <summary>
/// Finds the processes of the Lockout this benchmark started. Aspire's orchestrator (DCP) detaches from the
/// AppHost but names it with <c>--monitor PID</c>; everything it runs descends from it. The API and the writer run
/// as <c>dotnet run --no-build</c>, whose child is the real program.
/// </summary>
internal static class LockoutProcesses
{
    public static IReadOnlyList<ProcessGroup> Find()
    {
        var all = ProcFs.AllProcesses().ToList();
        var monitorArgument = $"--monitor {Environment.ProcessId} ";
        var orchestrators = all
            .Where(process => process.Name == "dcp" && (ProcFs.TryReadCommandLine(process.Pid) ?? "").Contains(monitorArgument, StringComparison.Ordinal))
            .Select(process => process.Pid)
            .ToHashSet();
        var descendants = Descendants(all, orchestrators);

        // The load generator: this process, and wrk when it drives a run (a child of this process).
        List<ProcessGroup> groups = [new("bench", [Environment.ProcessId], IncludeChildren: false, ChildName: Load.WrkRun.ExecutableName)];
        Add("api", process => process.Name == "Lockout.Api", includeChildren: false);
        Add("writer", process => process.Name == "Lockout.Writer", includeChildren: false);
        Add("redis", process => process.Name.StartsWith("redis-server", StringComparison.Ordinal), includeChildren: false);
        // The postmaster is the postgres process whose parent is not postgres; the backends are its children.
        Add("postgres", process => process.Name == "postgres" && descendants.All(parent => parent.Pid != process.ParentPid || parent.Name != "postgres"), includeChildren: true);

        // The orchestrator itself and the "dotnet run" launchers: not Lockout, but not someone else's load either.
        List<int> launchers = [.. orchestrators, .. descendants.Where(process => process.Name is "dcp" or "dotnet").Select(process => process.Pid)];
        groups.Add(new ProcessGroup("aspire", launchers, IncludeChildren: false));
        return groups;

        void Add(string role, Func<ProcFs.ProcessStat, bool> match, bool includeChildren)
        {
            var process = descendants.FirstOrDefault(match)
                ?? throw new InvalidOperationException($"Lockout's {role} process was not found under Aspire's orchestrator.");
            groups.Add(new ProcessGroup(role, process.Pid, includeChildren));
        }
    }

    private static List<ProcFs.ProcessStat> Descendants(List<ProcFs.ProcessStat> all, HashSet<int> roots)
    {
        var found = new List<ProcFs.ProcessStat>();
        var frontier = new HashSet<int>(roots);
        while (frontier.Count > 0)
        {
            var children = all.Where(process => frontier.Contains(process.ParentPid)).ToList();
            found.AddRange(children);
            frontier = [.. children.Select(process => process.Pid)];
        }

        return found;
    }
}

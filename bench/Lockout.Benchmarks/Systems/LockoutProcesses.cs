using Aspire.Hosting;
using Lockout.Benchmarks.Measurement;

namespace Lockout.Benchmarks.Systems;

/// <summary>
/// Finds the processes of the Lockout this benchmark started. Aspire's orchestrator (DCP) detaches from the
/// AppHost but names it with <c>--monitor PID</c>; everything it runs descends from it. The API and the writer run
/// as <c>dotnet run --no-build</c>, whose child is the real program.
/// </summary>
internal static class LockoutProcesses
{
    /// <summary>Lockout's services, each a process the fault scenario can signal, restart, and check is still alive.</summary>
    public static readonly string[] ServiceRoles = ["api", "writer", "redis", "postgres"];

    /// <summary>
    /// The benchmark, each of Lockout's service processes, and Aspire's launchers. One instance of a part is its role
    /// (<c>api</c>); several are one group each under their resource names (<c>api-0</c>, <c>api-1</c>, ...), so
    /// each instance's CPU and memory is reported on its own.
    /// </summary>
    public static IReadOnlyList<ProcessGroup> Find(DistributedApplication app, LockoutScale scale)
    {
        var all = ProcFs.AllProcesses().ToList();
        var descendants = Descendants(all, Orchestrators(all));
        var services = FindServices(descendants);

        // The load generator: this process, and wrk when it drives a run (a child of this process).
        List<ProcessGroup> groups = [new("bench", [Environment.ProcessId], IncludeChildren: false, ChildName: Load.WrkRun.ExecutableName)];
        foreach (var role in ServiceRoles)
        {
            var instances = role switch
            {
                "api" => scale.ApiNames,
                "writer" => scale.WriterNames,
                "redis" => scale.RedisNames,
                _ => [role],
            };
            if (instances.Count > 1)
            {
                groups.AddRange(instances.Select(instance => new ProcessGroup(instance, InstancePid(app, instance, ProgramOf(role), all), includeChildren: false)));
                continue;
            }

            var pid = services.GetValueOrDefault(role);
            // PostgreSQL forks a backend per connection: its children are its own.
            groups.Add(pid != 0
                ? new ProcessGroup(role, pid, includeChildren: role == "postgres")
                : throw new InvalidOperationException($"Lockout's {role} process was not found under Aspire's orchestrator."));
        }

        // The orchestrator itself and the "dotnet run" launchers: not Lockout, but not someone else's load either.
        List<int> launchers = [.. Orchestrators(all), .. descendants.Where(process => process.Name is "dcp" or "dotnet").Select(process => process.Pid)];
        groups.Add(new ProcessGroup("aspire", launchers, IncludeChildren: false));
        return groups;
    }

    private static string ProgramOf(string role) => role switch
    {
        "api" => "Lockout.Api",
        "writer" => "Lockout.Writer",
        _ => "redis-server",
    };

    /// <summary>
    /// The process of one named instance: the one Aspire's orchestrator started for the resource (its
    /// <c>executable.pid</c>), or, for a project started through <c>dotnet run</c>, the program below it.
    /// </summary>
    private static int InstancePid(DistributedApplication app, string resource, string program, List<ProcFs.ProcessStat> all)
    {
        if (!app.ResourceNotifications.TryGetCurrentState(resource, out var state)
            || state.Snapshot.Properties.FirstOrDefault(property => property.Name == "executable.pid")?.Value?.ToString() is not { } text
            || !int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var launched))
        {
            throw new InvalidOperationException($"Aspire reports no process for {resource}.");
        }

        var candidates = all.Where(process => process.Pid == launched).Concat(Descendants(all, [launched]));
        return candidates.FirstOrDefault(process => process.Name.StartsWith(program, StringComparison.Ordinal))?.Pid
            ?? throw new InvalidOperationException($"No {program} process at or below {resource}'s process {launched}.");
    }

    /// <summary>The process of each service role running now; a role whose process is gone is missing.</summary>
    public static IReadOnlyDictionary<string, int> FindServices()
    {
        var all = ProcFs.AllProcesses().ToList();
        return FindServices(Descendants(all, Orchestrators(all)));
    }

    private static Dictionary<string, int> FindServices(List<ProcFs.ProcessStat> descendants)
    {
        var services = new Dictionary<string, int>();
        Add("api", process => process.Name == "Lockout.Api");
        Add("writer", process => process.Name == "Lockout.Writer");
        Add("redis", process => process.Name.StartsWith("redis-server", StringComparison.Ordinal));
        // The postmaster is the postgres process whose parent is not postgres; the backends are its children.
        Add("postgres", process => process.Name == "postgres" && descendants.All(parent => parent.Pid != process.ParentPid || parent.Name != "postgres"));
        return services;

        void Add(string role, Func<ProcFs.ProcessStat, bool> match)
        {
            // A process killed but not yet reaped by its parent is a zombie, not a service.
            if (descendants.FirstOrDefault(process => match(process) && ProcFs.IsAlive(process.Pid)) is { } process)
            {
                services[role] = process.Pid;
            }
        }
    }

    private static HashSet<int> Orchestrators(List<ProcFs.ProcessStat> all)
    {
        var monitorArgument = $"--monitor {Environment.ProcessId} ";
        return all
            .Where(process => process.Name == "dcp" && (ProcFs.TryReadCommandLine(process.Pid) ?? "").Contains(monitorArgument, StringComparison.Ordinal))
            .Select(process => process.Pid)
            .ToHashSet();
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

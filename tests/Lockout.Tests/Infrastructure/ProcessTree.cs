using System.Diagnostics;
using System.Globalization;

namespace Lockout.Tests.Infrastructure;

/// <summary>A process and its descendants, as Linux's /proc shows them.</summary>
public static class ProcessTree
{
    /// <summary>
    /// SIGKILLs the process and every descendant, children first. Aspire starts a project through <c>dotnet run</c>,
    /// so the service itself is a child of the process the orchestrator reports.
    /// </summary>
    public static void Kill(int root)
    {
        foreach (var pid in Descendants(root).Reverse().Append(root))
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill(); // SIGKILL on Unix
            }
            catch (ArgumentException)
            {
                // gone already
            }
            catch (InvalidOperationException)
            {
            }
        }
    }

    /// <summary>Every descendant, parents before their children.</summary>
    public static IEnumerable<int> Descendants(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(folder), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && ParentOf(folder) is { } parent)
            {
                parents[pid] = parent;
            }
        }

        var found = new List<int>();
        var frontier = new Queue<int>([root]);
        while (frontier.TryDequeue(out var parent))
        {
            foreach (var child in parents.Where(pair => pair.Value == parent).Select(pair => pair.Key))
            {
                found.Add(child);
                frontier.Enqueue(child);
            }
        }

        return found;
    }

    // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses, so read after the last ')'.
    private static int? ParentOf(string folder)
    {
        try
        {
            var stat = File.ReadAllText(Path.Combine(folder, "stat"));
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[1], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null; // the process ended meanwhile
        }
    }
}

using System.Globalization;

namespace Lockout.Benchmarks.Measurement;

/// <summary>The few things the benchmark reads from Linux's <c>/proc</c>.</summary>
internal static class ProcFs
{
    /// <summary>Clock ticks per second of <c>/proc</c>'s CPU times (USER_HZ, 100 on Linux).</summary>
    public const double TicksPerSecond = 100;

    /// <param name="CpuTicks">User and system time (utime + stime).</param>
    /// <param name="ExitedChildrenCpuTicks">Of its children that have exited and been waited for (cutime + cstime).</param>
    public sealed record ProcessStat(int Pid, int ParentPid, string Name, long CpuTicks, long ExitedChildrenCpuTicks);

    public static IEnumerable<ProcessStat> AllProcesses()
    {
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(folder), out var pid) && TryReadStat(pid) is { } stat)
            {
                yield return stat;
            }
        }
    }

    /// <summary>Parses <c>/proc/PID/stat</c>; null when the process is gone.</summary>
    public static ProcessStat? TryReadStat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
        var open = text.IndexOf('(', StringComparison.Ordinal);
        var close = text.LastIndexOf(')');
        var fields = text[(close + 2)..].Split(' ');
        return new ProcessStat(
            pid,
            int.Parse(fields[1], CultureInfo.InvariantCulture),
            text[(open + 1)..close],
            long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture),
            long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture));
    }

    /// <summary>The process exists and is not a zombie (dead, waiting for its parent to reap it).</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            return text[(text.LastIndexOf(')') + 2)] is not ('Z' or 'X');
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    public static string? TryReadCommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>A <c>kB</c> field of <c>/proc/PID/status</c> (VmHWM, RssAnon, RssShmem), in bytes.</summary>
    public static long ReadKilobytesField(int pid, string file, string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/{file}"))
            {
                if (line.StartsWith(field + ":", StringComparison.Ordinal))
                {
                    var value = line[(field.Length + 1)..].Trim().Split(' ')[0];
                    return long.Parse(value, CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return 0;
    }

    /// <summary>Resets the process's peak resident set size (VmHWM) to its current size; needs root or ownership.</summary>
    public static void ResetPeakMemory(int pid)
    {
        try
        {
            File.WriteAllText($"/proc/{pid}/clear_refs", "5");
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Busy CPU ticks of the whole machine, all cores (everything but idle and iowait).</summary>
    public static long MachineBusyTicks()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        long busy = 0;
        for (var i = 1; i < Math.Min(fields.Length, 9); i++)
        {
            if (i is not (4 or 5))
            {
                busy += long.Parse(fields[i], CultureInfo.InvariantCulture);
            }
        }

        return busy;
    }

    public static string CpuModel() =>
        File.ReadLines("/proc/cpuinfo").FirstOrDefault(line => line.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
}

using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Lockout.AppHost.Infrastructure.Local;

/// <summary>
/// Where local mode keeps Redis's and PostgreSQL's files: a fresh folder per AppHost run, as a container without a
/// volume would start fresh, deleted when the AppHost stops (or, after a crash, at the next start).
/// </summary>
/// <remarks>Under the temp folder rather than the repository: when the AppHost runs as root, PostgreSQL runs as the
/// postgres user, who must be able to reach its data folder.</remarks>
public sealed class LocalDataFolder
{
    private LocalDataFolder(string root) => Root = root;

    public string Root { get; }

    public string Redis => Path.Combine(Root, "redis");

    public string Postgres => Path.Combine(Root, "postgres");

    public static LocalDataFolder Create(string appHostDirectory)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(appHostDirectory)))[..12];
        var parent = Path.Combine(Path.GetTempPath(), $"lockout-{hash}");
        Directory.CreateDirectory(parent);
        RemoveAbandoned(parent);

        // Named by process and instance: one process may host several AppHosts (the tests do).
        var root = Path.Combine(parent, $"{Environment.ProcessId}-{Guid.NewGuid():N}"[..24]);
        Directory.CreateDirectory(root);
        Directory.CreateDirectory(Path.Combine(root, "redis"));
        return new LocalDataFolder(root);
    }

    /// <summary>
    /// Stops the servers still working in this folder and waits, up to <paramref name="timeout"/>, for them to exit.
    /// </summary>
    /// <remarks>
    /// Aspire's orchestrator (DCP) stops the resources after the AppHost has exited, seconds after the AppHost's own
    /// shutdown: deleting the folder then would pull the files from under a running PostgreSQL (which logs "could not
    /// open file" on every checkpoint until it is stopped) and Redis. The servers are the processes whose working
    /// directory is in the folder (both change to their data directory); SIGINT is PostgreSQL's fast shutdown and
    /// Redis's shutdown. Only the topmost of them is signalled: a PostgreSQL backend takes SIGINT as "cancel the query".
    /// Linux only, as local mode is: elsewhere there is no /proc and this returns at once.
    /// </remarks>
    public async Task StopServersAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var servers = ServerProcesses();
        if (servers.Count == 0)
        {
            return;
        }

        var topmost = servers.Where(server => !servers.ContainsKey(server.Value)).Select(server => server.Key.ToString(CultureInfo.InvariantCulture));
        await ToolProcess.RunAsync("kill", ["-INT", .. topmost], cancellationToken);

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            while (ServerProcesses().Count > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), deadline.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // Still running after the timeout: the folder is deleted anyway, as before, and DCP stops them.
        }
    }

    // Process id -> parent process id, for every process whose working directory is in this folder.
    private Dictionary<int, int> ServerProcesses()
    {
        Dictionary<int, int> servers = [];
        if (!Directory.Exists("/proc"))
        {
            return servers;
        }

        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var pid))
            {
                continue;
            }

            try
            {
                var workingDirectory = new DirectoryInfo(Path.Combine(entry, "cwd")).LinkTarget;
                if (workingDirectory is not null && (workingDirectory + "/").StartsWith(Root + "/", StringComparison.Ordinal))
                {
                    // /proc/PID/stat: "pid (name) state ppid ..."; the name may hold spaces, so count from its closing parenthesis.
                    var stat = File.ReadAllText(Path.Combine(entry, "stat"));
                    var parent = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1];
                    servers[pid] = int.Parse(parent, CultureInfo.InvariantCulture);
                }
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException)
            {
                // The process exited while being read, or is not ours to read.
            }
        }

        return servers;
    }

    public void Delete()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A server still closing its files; the next start removes the folder.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    // Folders of AppHost runs whose process is gone (a crash or kill -9 skips Delete).
    private static void RemoveAbandoned(string parent)
    {
        foreach (var folder in Directory.GetDirectories(parent))
        {
            if (int.TryParse(Path.GetFileName(folder).Split('-')[0], out var pid) && !IsRunning(pid))
            {
                try
                {
                    Directory.Delete(folder, recursive: true);
                }
                catch (IOException)
                {
                }
                catch (UnauthorizedAccessException)
                {
                }
            }
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}

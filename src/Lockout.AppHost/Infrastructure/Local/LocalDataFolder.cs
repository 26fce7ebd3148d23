using System.Diagnostics;
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

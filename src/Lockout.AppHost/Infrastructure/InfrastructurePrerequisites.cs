using System.Diagnostics;

namespace Lockout.AppHost.Infrastructure;

/// <summary>Whether a container runtime answers, as Aspire will use it (<c>ASPIRE_CONTAINER_RUNTIME</c>, default docker).</summary>
public static class ContainerRuntimeProbe
{
    public static string RuntimeName => Environment.GetEnvironmentVariable("ASPIRE_CONTAINER_RUNTIME") is { Length: > 0 } name ? name : "docker";

    /// <summary>True when <c>&lt;runtime&gt; info</c> reaches an engine: a client alone (as here) is not enough.</summary>
    public static bool IsAvailable()
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(RuntimeName, ["info", "--format", "{{.ServerVersion}}"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (process is null)
            {
                return false;
            }

            if (!process.WaitForExit(TimeSpan.FromSeconds(15)))
            {
                process.Kill(entireProcessTree: true);
                return false;
            }

            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // not installed
        }
    }
}

/// <summary>The programs local mode runs, found on this machine.</summary>
/// <param name="RedisServer">Path of <c>redis-server</c>.</param>
/// <param name="PostgresBinDirectory">Folder holding <c>postgres</c> and <c>initdb</c>.</param>
public sealed record LocalToolchain(string RedisServer, string PostgresBinDirectory)
{
    public const string InstallHint = "install the Debian packages redis-server and postgresql (sudo apt-get install redis-server postgresql)";

    public string Postgres => Path.Combine(PostgresBinDirectory, "postgres");

    public string InitDb => Path.Combine(PostgresBinDirectory, "initdb");

    /// <summary>Path of <c>redis-cli</c>, which the Debian package installs beside <c>redis-server</c>; it joins a sharded Redis's nodes.</summary>
    public string RedisCli => Path.Combine(Path.GetDirectoryName(RedisServer) ?? "", "redis-cli");

    /// <summary>Finds the toolchain on PATH and in the folders the packages install to; otherwise says which program is missing.</summary>
    public static LocalToolchain? Find(out string? missing) =>
        Find(out missing, Environment.GetEnvironmentVariable("PATH") ?? "", searchWellKnownFolders: true);

    /// <summary>Finds the toolchain in <paramref name="path"/> (PATH's format) and, if asked, the well-known folders.</summary>
    /// <param name="searchWellKnownFolders">
    /// Also search where the Debian and RHEL packages put the programs: Debian keeps PostgreSQL's server programs off PATH.
    /// </param>
    public static LocalToolchain? Find(out string? missing, string path, bool searchWellKnownFolders)
    {
        var folders = path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).ToList();

        var redisFolders = searchWellKnownFolders ? folders.Append("/usr/bin").Append("/usr/sbin").Distinct() : folders;
        var redis = redisFolders
            .Select(folder => Path.Combine(folder, "redis-server"))
            .FirstOrDefault(File.Exists);

        var postgresFolders = folders.Concat(searchWellKnownFolders ? WellKnownPostgresFolders() : []);
        var postgres = postgresFolders
            .FirstOrDefault(folder => File.Exists(Path.Combine(folder, "postgres")) && File.Exists(Path.Combine(folder, "initdb")));

        missing = (redis, postgres) switch
        {
            (null, null) => "redis-server and the PostgreSQL server (postgres, initdb)",
            (null, _) => "redis-server",
            (_, null) => "the PostgreSQL server (postgres, initdb)",
            _ => null,
        };

        return missing is null ? new LocalToolchain(redis!, ResolveLinks(postgres!)) : null;
    }

    private static IEnumerable<string> WellKnownPostgresFolders()
    {
        // Debian/Ubuntu: /usr/lib/postgresql/<major>/bin; RHEL: /usr/pgsql-<major>/bin. Newest first.
        foreach (var pattern in new[] { ("/usr/lib/postgresql", "*"), ("/usr", "pgsql-*") })
        {
            if (!Directory.Exists(pattern.Item1))
            {
                continue;
            }

            var candidates = Directory.GetDirectories(pattern.Item1, pattern.Item2)
                .Select(folder => Path.Combine(folder, "bin"))
                .OrderByDescending(folder => folder, StringComparer.Ordinal);
            foreach (var candidate in candidates)
            {
                yield return candidate;
            }
        }
    }

    // A folder of symlinks (as /usr/local/bin may be) is replaced by the folder the programs really live in.
    private static string ResolveLinks(string folder)
    {
        var target = new FileInfo(Path.Combine(folder, "postgres")).ResolveLinkTarget(returnFinalTarget: true);
        return target is null ? folder : Path.GetDirectoryName(target.FullName) ?? folder;
    }
}

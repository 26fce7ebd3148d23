using System.Diagnostics;
using Microsoft.Extensions.Configuration;

namespace Lockout.AppHost.Infrastructure;

/// <summary>
/// Which container runtime answers, asked the way Aspire will use it: the one configured in
/// <c>ASPIRE_CONTAINER_RUNTIME</c> (or the older <c>DOTNET_ASPIRE_CONTAINER_RUNTIME</c>), otherwise Docker, then Podman.
/// </summary>
public static class ContainerRuntimeProbe
{
    public const string ConfigurationKey = "ASPIRE_CONTAINER_RUNTIME";
    public const string LegacyConfigurationKey = "DOTNET_ASPIRE_CONTAINER_RUNTIME";

    /// <summary>Asked in this order when none is configured, as Aspire's own detection does (Docker is its default).</summary>
    public static readonly IReadOnlyList<string> KnownRuntimes = ["docker", "podman"];

    private static readonly TimeSpan InfoTimeout = TimeSpan.FromSeconds(15);

    /// <summary>The runtimes to ask, in order: the configured one alone, otherwise every known one.</summary>
    public static IReadOnlyList<string> Candidates(IConfiguration configuration) =>
        configuration[ConfigurationKey] is { Length: > 0 } configured ? [configured]
        : configuration[LegacyConfigurationKey] is { Length: > 0 } legacy ? [legacy]
        : KnownRuntimes;

    /// <summary>The first candidate that answers, or null when none does.</summary>
    /// <param name="answers">Whether a runtime reaches its engine; <see cref="Answers"/> outside tests.</param>
    public static string? FindAnswering(IReadOnlyList<string> candidates, Func<string, bool> answers) =>
        candidates.FirstOrDefault(answers);

    /// <summary>
    /// True when <c>&lt;runtime&gt; info</c> exits 0, which both Docker and Podman do only when they reach an engine
    /// (a client alone, as on our machines, is not enough). Plain <c>info</c>: a <c>--format</c> template is
    /// runtime-specific (<c>{{.ServerVersion}}</c> exists only in Docker's output, so Podman would fail it).
    /// </summary>
    /// <param name="timeout">How long <c>info</c> may take (15 s: a busy engine can be slow to answer).</param>
    public static bool Answers(string runtime, TimeSpan? timeout = null)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(runtime, ["info"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (process is null)
            {
                return false;
            }

            // Drained so that a long `info` cannot fill the pipe and block the runtime before it exits.
            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout ?? InfoTimeout))
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

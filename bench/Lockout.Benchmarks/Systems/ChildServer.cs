using System.Diagnostics;
using System.Net;

namespace Lockout.Benchmarks.Systems;

/// <summary>
/// A server run from this same executable in a child process (<c>Lockout.Benchmarks COMMAND ...</c>), which prints
/// its address when it listens and stops when its standard input closes (also when the benchmark dies).
/// </summary>
internal sealed class ChildServer : IAsyncDisposable
{
    public const string ReadyPrefix = "listening on ";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;

    private ChildServer(Process process, Uri address)
    {
        _process = process;
        Address = address;
        Endpoint = new IPEndPoint(IPAddress.Loopback, address.Port);
    }

    public Uri Address { get; }

    public IPEndPoint Endpoint { get; }

    public int Pid => _process.Id;

    public static async Task<ChildServer> StartAsync(IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment, bool perfMap, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Started as "dotnet Lockout.Benchmarks.dll": run the same assembly again.
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
        {
            start.ArgumentList.Add(typeof(ChildServer).Assembly.Location);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // This executable's runtimeconfig turns thread-pool spinning off for the load generator; the servers run with
        // the runtime's default, as Lockout's API does (the environment variable wins over runtimeconfig).
        start.Environment["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "70";
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        if (perfMap)
        {
            start.Environment["DOTNET_PerfMapEnabled"] = "1";
            start.Environment["DOTNET_EnableWriteXorExecute"] = "0";
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("The child server did not start.");
        _ = process.StandardError.ReadToEndAsync(CancellationToken.None);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartTimeout);
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith(ReadyPrefix, StringComparison.Ordinal))
            {
                // Keep draining, so a warning printed later can never block the child on a full pipe.
                _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
                return new ChildServer(process, new Uri(line[ReadyPrefix.Length..]));
            }
        }

        throw new InvalidOperationException($"The child server exited ({process.ExitCode}) before it listened.");
    }

    /// <summary>
    /// A child's connection string to its own database. Local mode's PostgreSQL takes 300 connections, and every
    /// system's pool may hold 100 (Npgsql's default) for five minutes after its load: an idle system gives its
    /// connections back within seconds here, so the one under load is not refused ("too many clients").
    /// </summary>
    public static string PooledConnectionString(string serverConnectionString, string database) =>
        new Npgsql.NpgsqlConnectionStringBuilder(serverConnectionString)
        {
            Database = database,
            ConnectionIdleLifetime = 10,
            ConnectionPruningInterval = 5,
        }.ConnectionString;

    /// <summary>Called by the child once it listens.</summary>
    public static void AnnounceReady(string address) => Console.WriteLine(ReadyPrefix + address);

    /// <summary>Called by the child: completes when the benchmark closes our standard input or dies.</summary>
    public static Task WaitForParentAsync() => Console.In.ReadToEndAsync();

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(exit.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
        }
        finally
        {
            _process.Dispose();
        }
    }
}

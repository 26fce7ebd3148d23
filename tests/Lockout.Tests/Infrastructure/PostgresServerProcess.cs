using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Lockout.AppHost.Infrastructure;
using Npgsql;

namespace Lockout.Tests.Infrastructure;

/// <summary>
/// A PostgreSQL server of a test's own, set up as local mode sets one up (initdb with a SCRAM password, TCP on
/// <c>localhost</c> only), for tests that shut the server down without disturbing the shared one.
/// </summary>
public sealed class PostgresServerProcess : IAsyncDisposable
{
    private const string UserName = "postgres";

    private readonly DirectoryInfo _folder;
    private readonly LocalToolchain _toolchain;
    private readonly string _password;
    private readonly ConcurrentQueue<string> _log = new();
    private Process _process;

    private PostgresServerProcess(DirectoryInfo folder, LocalToolchain toolchain, string password)
    {
        _folder = folder;
        _toolchain = toolchain;
        _password = password;
        Port = FreePort();
        _process = Launch();
    }

    public int Port { get; }

    /// <summary>The administrator's connection to the maintenance database, by the host name local mode gives the services.</summary>
    public string ConnectionString => $"Host=localhost;Port={Port};Username={UserName};Password={_password};Database=postgres";

    /// <summary>The lines the server has logged so far (its log goes to stderr), in order.</summary>
    public IReadOnlyList<string> Log => [.. _log];

    private string DataFolder => Path.Combine(_folder.FullName, "data");

    public static async Task<PostgresServerProcess> StartAsync()
    {
        var toolchain = LocalToolchain.Find(out var missing) ?? throw new InvalidOperationException($"{missing} is not installed.");
        var folder = Directory.CreateTempSubdirectory("lockout-postgres-test");
        var password = Guid.NewGuid().ToString("N");
        var passwordFile = Path.Combine(folder.FullName, "password");
        await File.WriteAllTextAsync(passwordFile, password);
        if (Environment.IsPrivilegedProcess)
        {
            await RunAsync("chown", ["-R", $"{UserName}:{UserName}", folder.FullName]);
        }

        await RunAsync(AsServerUser(toolchain.InitDb,
            ["-D", Path.Combine(folder.FullName, "data"), "-U", UserName, "--auth=scram-sha-256", $"--pwfile={passwordFile}", "--encoding=UTF8", "--locale=C", "--no-instructions"]));
        File.Delete(passwordFile);

        var server = new PostgresServerProcess(folder, toolchain, password);
        await server.WaitUntilAnsweringAsync();
        return server;
    }

    /// <summary>
    /// SIGINT, PostgreSQL's fast shutdown (as the benchmark's fault scenario stops it): the sessions are ended, new
    /// connections are refused while the shutdown checkpoint is written, then the server exits. Returns when it has.
    /// </summary>
    public async Task FastShutdownAsync()
    {
        Signal("INT");
        await _process.WaitForExitAsync();
    }

    /// <summary>Starts the server again on the same port and data, and waits until it answers.</summary>
    public async Task StartAgainAsync()
    {
        _process.Dispose();
        _process = Launch();
        await WaitUntilAnsweringAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Signal("QUIT"); // immediate shutdown: nothing here is kept
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        _folder.Delete(recursive: true);
    }

    private Process Launch()
    {
        // The default socket folder may not exist or be writable: TCP only, as in local mode.
        var (program, arguments) = AsServerUser(_toolchain.Postgres,
            ["-D", DataFolder, "-p", Port.ToString(CultureInfo.InvariantCulture), "-c", "listen_addresses=localhost", "-c", "unix_socket_directories="]);
        var process = Process.Start(new ProcessStartInfo(program, arguments)
        {
            RedirectStandardError = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("Could not start postgres.");
        process.ErrorDataReceived += (_, line) =>
        {
            if (line.Data is not null)
            {
                _log.Enqueue(line.Data);
            }
        };
        process.BeginErrorReadLine();
        return process;
    }

    private async Task WaitUntilAnsweringAsync()
    {
        var connectionString = new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false }.ConnectionString;
        await Poll.UntilAsync(async () =>
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync();
                return true;
            }
            catch (NpgsqlException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(30), "postgres to answer");
    }

    // setpriv executes the program in its own place, so the process started is the postmaster itself.
    private void Signal(string signal)
    {
        if (_process.HasExited)
        {
            return;
        }

        using var kill = Process.Start("kill", [$"-{signal}", _process.Id.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>PostgreSQL refuses to run as root: as root, its programs run as the postgres user, as local mode runs them.</summary>
    private static (string Program, string[] Arguments) AsServerUser(string program, string[] arguments) =>
        Environment.IsPrivilegedProcess
            ? ("setpriv", [$"--reuid={UserName}", $"--regid={UserName}", "--init-groups", "--", program, .. arguments])
            : (program, arguments);

    private static Task RunAsync(string program, string[] arguments) => RunAsync((program, arguments));

    private static async Task RunAsync((string Program, string[] Arguments) command)
    {
        using var process = Process.Start(new ProcessStartInfo(command.Program, command.Arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException($"Could not start {command.Program}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{command.Program} exited with code {process.ExitCode}: {await output}{await errors}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

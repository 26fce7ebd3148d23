using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Lockout.Tests.Infrastructure;

/// <summary>
/// Lockout.Writer as a real operating-system process, for tests that must kill it.
/// </summary>
public sealed class WriterProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];

    private WriterProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
        process.OutputDataReceived += (_, e) => Record(e.Data);
        process.ErrorDataReceived += (_, e) => Record(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Uri Address { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join(Environment.NewLine, _output);
            }
        }
    }

    public static WriterProcess Start(TestEnvironment environment, IDictionary<string, string?>? settings = null)
    {
        var address = new Uri($"http://127.0.0.1:{FreePort()}");
        var start = new ProcessStartInfo("dotnet", [WriterAssemblyPath()])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["ASPNETCORE_URLS"] = address.ToString();
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        foreach (var (key, value) in environment.WriterSettings().Concat(settings ?? new Dictionary<string, string?>()))
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        return new WriterProcess(Process.Start(start) ?? throw new InvalidOperationException("Could not start the writer."), address);
    }

    /// <summary>Waits until the writer reports ready (schema migrated, broker reachable).</summary>
    public async Task WaitUntilHealthyAsync()
    {
        using var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            await PollHealthAsync(client);
        }
        catch (TimeoutException exception)
        {
            throw new TimeoutException($"{exception.Message} Writer output:{Environment.NewLine}{Output}", exception);
        }
    }

    private Task PollHealthAsync(HttpClient client) =>
        Poll.UntilAsync(async () =>
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The writer exited with code {_process.ExitCode}:{Environment.NewLine}{Output}");
            }

            try
            {
                using var response = await client.GetAsync(new Uri("/health", UriKind.Relative));
                return response.StatusCode == HttpStatusCode.OK;
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException) // refused, or slower than the client's timeout
            {
                return false;
            }
        }, TimeSpan.FromSeconds(60), "the writer process to become healthy");

    /// <summary>SIGKILL: no shutdown hooks, no goodbye to the consumer group, an open transaction left to the server.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.WaitForExit();
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private void Record(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.Add(line);
            }
        }
    }

    // The writer's build output sits beside the tests' (the test project references it) under the same configuration.
    private static string WriterAssemblyPath()
    {
        var testBin = new DirectoryInfo(AppContext.BaseDirectory); // …/tests/Lockout.Tests/bin/<Configuration>/net10.0/
        var configuration = testBin.Parent!.Name;
        var framework = testBin.Name;
        var repository = RepositoryRoot();
        var path = Path.Combine(repository, "src", "Lockout.Writer", "bin", configuration, framework, "Lockout.Writer.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("Build the solution first: the writer's assembly is missing.", path);
    }

    public static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Lockout.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Lockout.sln not found above the test folder.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Lockout.AppHost.Infrastructure;

namespace Lockout.Benchmarks.Infrastructure;

/// <summary>
/// A redis-server on a free loopback port with the AppHost's settings, in a folder of its own, gone when disposed;
/// or several, with cluster mode on, joined as the AppHost joins them (slots split evenly, then MEET).
/// </summary>
public sealed class StandaloneRedis : IDisposable
{
    private readonly List<Process> _processes = [];
    private readonly DirectoryInfo _data = Directory.CreateTempSubdirectory("lockout-bench-redis");
    private readonly List<int> _ports = [];

    /// <summary>The nodes' ports, in the shards' order.</summary>
    public IReadOnlyList<int> Ports => _ports;

    public string ConnectionString => string.Join(',', _ports.Select(port => $"127.0.0.1:{port}"));

    /// <summary>The process of each node, in the shards' order (for a fault test to signal one).</summary>
    public IReadOnlyList<int> ProcessIds => [.. _processes.Select(process => process.Id)];

    public static async Task<StandaloneRedis> StartAsync(int shards, CancellationToken cancellationToken)
    {
        var toolchain = LocalToolchain.Find(out var missing) ?? throw new InvalidOperationException($"{missing} is not installed.");
        var server = new StandaloneRedis();
        try
        {
            for (var shard = 0; shard < shards; shard++)
            {
                server.StartNode(toolchain.RedisServer, shard, clusterNode: shards > 1);
            }

            foreach (var (port, process) in server._ports.Zip(server._processes))
            {
                await WaitUntilListeningAsync(port, process, cancellationToken);
            }

            if (shards > 1)
            {
                await server.CreateClusterAsync(toolchain.RedisCli, cancellationToken);
            }

            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary><c>used_memory</c> of each node before anything is stored (the cost of a node, cluster state included).</summary>
    public async Task<long[]> UsedMemoryPerNodeAsync(CancellationToken cancellationToken) =>
        await Task.WhenAll(_ports.Select(async port =>
        {
            var info = await RedisCliAsync(LocalToolchain.Find(out _)!.RedisCli, port, ["INFO", "memory"], cancellationToken);
            var line = info.Split('\n').First(line => line.StartsWith("used_memory:", StringComparison.Ordinal));
            return long.Parse(line["used_memory:".Length..].Trim(), CultureInfo.InvariantCulture);
        }));

    private void StartNode(string redisServer, int shard, bool clusterNode)
    {
        var port = FreePort();
        var directory = Directory.CreateDirectory(Path.Combine(_data.FullName, shard.ToString(CultureInfo.InvariantCulture)));
        List<string> arguments =
        [
            "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", directory.FullName,
            .. RedisServerSettings.Arguments(RedisServerSettings.DefaultMaxMemory),
        ];
        if (clusterNode)
        {
            arguments.AddRange([.. RedisServerSettings.ClusterNodeArguments(), "--cluster-port", FreePort().ToString(CultureInfo.InvariantCulture)]);
        }

        var process = Process.Start(new ProcessStartInfo(redisServer, arguments) { RedirectStandardOutput = true, UseShellExecute = false })
            ?? throw new InvalidOperationException("redis-server did not start.");
        _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        _processes.Add(process);
        _ports.Add(port);
    }

    private async Task CreateClusterAsync(string redisCli, CancellationToken cancellationToken)
    {
        for (var i = 0; i < _ports.Count; i++)
        {
            var (first, last) = RedisServerSettings.SlotRange(i, _ports.Count);
            await RedisCliAsync(redisCli, _ports[i], ["CLUSTER", "ADDSLOTSRANGE", Invariant(first), Invariant(last)], cancellationToken);
        }

        var firstBus = (await RedisCliAsync(redisCli, _ports[0], ["CONFIG", "GET", "cluster-port"], cancellationToken)).Split('\n')[1].Trim();
        for (var i = 1; i < _ports.Count; i++)
        {
            await RedisCliAsync(redisCli, _ports[i], ["CLUSTER", "MEET", "127.0.0.1", Invariant(_ports[0]), firstBus], cancellationToken);
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        foreach (var port in _ports)
        {
            while (!(await RedisCliAsync(redisCli, port, ["CLUSTER", "INFO"], cancellationToken)).Contains("cluster_state:ok", StringComparison.Ordinal)
                || !(await RedisCliAsync(redisCli, port, ["CLUSTER", "INFO"], cancellationToken)).Contains($"cluster_known_nodes:{_ports.Count}", StringComparison.Ordinal))
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"The {_ports.Count} redis-servers did not form a cluster within 60 s.");
                }

                await Task.Delay(100, cancellationToken);
            }
        }
    }

    private static async Task<string> RedisCliAsync(string redisCli, int port, IReadOnlyList<string> command, CancellationToken cancellationToken)
    {
        using var process = Process.Start(new ProcessStartInfo(redisCli, ["-h", "127.0.0.1", "-p", Invariant(port), .. command])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException($"Could not start {redisCli}.");
        var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return process.ExitCode == 0 && !output.StartsWith("ERR", StringComparison.Ordinal)
            ? output
            : throw new InvalidOperationException($"redis-cli {string.Join(' ', command)} on port {port}: {output}{await process.StandardError.ReadToEndAsync(cancellationToken)}");
    }

    private static async Task WaitUntilListeningAsync(int port, Process process, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                await Task.Delay(50, cancellationToken);
            }
        }
    }

    public void Dispose()
    {
        foreach (var process in _processes)
        {
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit();
            }

            process.Dispose();
        }

        _data.Delete(recursive: true);
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

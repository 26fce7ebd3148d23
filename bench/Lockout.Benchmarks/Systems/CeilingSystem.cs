using System.Net;
using Lockout.Benchmarks.Baseline;
using Lockout.Benchmarks.Load;
using Lockout.Benchmarks.Measurement;

namespace Lockout.Benchmarks.Systems;

/// <summary>The reference endpoint (<see cref="CeilingServer"/>) in a child process: no accounts, no database.</summary>
internal sealed class CeilingSystem : ILoginSystem, IAsyncDisposable
{
    public const string SystemName = "Kestrel+Lua ceiling";

    private readonly ChildServer _server;

    private CeilingSystem(ChildServer server)
    {
        _server = server;
        Processes = [new ProcessGroup("ceiling", server.Pid, includeChildren: false)];
    }

    public string Name => SystemName;

    public IPEndPoint LoginEndpoint => _server.Endpoint;

    public string? DatabaseName => null;

    public bool UsesRedis => true;

    public IReadOnlyList<ProcessGroup> Processes { get; }

    public static async Task<CeilingSystem> StartAsync(string redisConnectionString, bool perfMap, CancellationToken cancellationToken) =>
        new(await ChildServer.StartAsync(
            [CeilingServer.Command],
            new Dictionary<string, string> { [CeilingServer.RedisVariable] = redisConnectionString },
            perfMap,
            cancellationToken));

    public Task SeedAsync(AccountSet accounts, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task BeginRunAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<RunAudit> AuditAsync(AccountSet accounts, LoadOutcome outcome, int? expectedLocks, CancellationToken cancellationToken, IReadOnlyList<string>? sources = null) =>
        Task.FromResult(new RunAudit(0, 0, 0, 0, 0, TimeSpan.Zero, null, null, [], []));

    public Task<VerificationCount> CountVerificationsAsync(AccountSet accounts, CancellationToken cancellationToken) => Task.FromResult(default(VerificationCount));

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}

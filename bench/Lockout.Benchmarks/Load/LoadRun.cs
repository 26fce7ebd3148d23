using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Lockout.Benchmarks.Load;

/// <summary>
/// Drives one load run over keep-alive connections: closed-loop (each connection sends its next request as soon
/// as the previous one is answered) or paced (request <c>i</c> is due at <c>i / rate</c>, open-loop).
/// </summary>
/// <remarks>
/// Paced latencies are measured from when a request was due, not when it was sent, so a stall that delays the
/// following requests shows up in their latency instead of being hidden (coordinated omission).
/// </remarks>
internal sealed class LoadRun : ILoadRun
{
    // Long enough for a thousand 66 ms hashes queued on two cores (product hashing) to be answered.
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(120);

    private IReadOnlyList<IPEndPoint> _endpoints;
    private readonly IRequestPlan _plan;
    private readonly int _connections;
    private readonly TimeSpan? _duration;
    private readonly TimeSpan _warmup;
    private readonly double _ticksPerRequest;
    private readonly HttpLoginConnection?[] _open;
    private long _startedTimestamp;
    private volatile bool _stopping;

    private LoadRun(IPEndPoint endpoint, IRequestPlan plan, int connections, TimeSpan? duration, TimeSpan warmup, double? perSecond, int trackedAccounts)
    {
        _endpoints = [endpoint];
        _plan = plan;
        _connections = connections;
        _duration = duration;
        _warmup = warmup;
        _ticksPerRequest = perSecond is { } rate ? Stopwatch.Frequency / rate : 0;
        _open = new HttpLoginConnection?[connections];
        Recorder = new LoadRecorder(trackedAccounts);
    }

    public LoadRecorder Recorder { get; }

    /// <summary>Since the first request was sent (zero before).</summary>
    public TimeSpan Elapsed => _startedTimestamp == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(_startedTimestamp);

    public long? Answered => Recorder.Completed;

    public string Generator => LoadGenerator.Builtin;

    /// <summary>Sends until <paramref name="duration"/> has passed (after <paramref name="warmup"/>) or the plan is used up.</summary>
    public static LoadRun ClosedLoop(IPEndPoint endpoint, IRequestPlan plan, int connections, TimeSpan? duration, TimeSpan warmup = default, int trackedAccounts = 0) =>
        new(endpoint, plan, connections, duration, warmup, perSecond: null, trackedAccounts);

    /// <summary>Sends the plan's requests at <paramref name="perSecond"/>, whatever the answers' pace.</summary>
    public static LoadRun Paced(IPEndPoint endpoint, IRequestPlan plan, int connections, double perSecond, int trackedAccounts = 0) =>
        new(endpoint, plan, connections, duration: null, warmup: default, perSecond, trackedAccounts);

    /// <summary>
    /// Several instances of one service (Lockout's API instances): connection <c>i</c> goes to instance
    /// <c>i mod n</c>, as a client-side balancer spreads connections, so each instance gets an even share.
    /// </summary>
    public LoadRun SpreadOver(IReadOnlyList<IPEndPoint> endpoints)
    {
        _endpoints = endpoints.Count > 0 ? endpoints : throw new ArgumentException("No endpoint to send to.", nameof(endpoints));
        return this;
    }

    public async Task<LoadOutcome> RunAsync(CancellationToken cancellationToken)
    {
        await OpenConnectionsAsync(cancellationToken);

        _startedTimestamp = Stopwatch.GetTimestamp();
        Recorder.MeasureFrom = _startedTimestamp + (long)(_warmup.TotalSeconds * Stopwatch.Frequency);
        var workers = new Task[_connections];
        for (var i = 0; i < _connections; i++)
        {
            var slot = i;
            workers[i] = Task.Run(() => WorkAsync(slot), CancellationToken.None);
        }

        var allDone = Task.WhenAll(workers);
        using (cancellationToken.Register(() => _stopping = true))
        {
            if (_duration is { } duration)
            {
                await Task.WhenAny(allDone, Task.Delay(_warmup + duration, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default));
                _stopping = true;
                if (await Task.WhenAny(allDone, Task.Delay(StopGrace, CancellationToken.None)) != allDone)
                {
                    // A server that stopped answering: closing the sockets fails the requests still waiting.
                    CloseConnections();
                }
            }

            await allDone;
        }

        CloseConnections();
        cancellationToken.ThrowIfCancellationRequested();
        return Recorder.Summarize(_startedTimestamp);
    }

    private async Task OpenConnectionsAsync(CancellationToken cancellationToken)
    {
        // Kestrel's listen backlog is 512: a thousand connects at once would overflow it and wait for SYN retries.
        using var gate = new SemaphoreSlim(64);
        await Task.WhenAll(Enumerable.Range(0, _connections).Select(async slot =>
        {
            await gate.WaitAsync(cancellationToken);
            try
            {
                _open[slot] = await HttpLoginConnection.OpenAsync(Endpoint(slot), cancellationToken);
            }
            finally
            {
                gate.Release();
            }
        }));
    }

    private async Task WorkAsync(int slot)
    {
        var tally = Recorder.NewConnectionTally();
        while (!_stopping && _plan.TryTake(out var request, out var index))
        {
            var started = _ticksPerRequest > 0 ? await WaitUntilDueAsync(index) : Stopwatch.GetTimestamp();
            int status;
            try
            {
                var connection = _open[slot] ??= await HttpLoginConnection.OpenAsync(Endpoint(slot), CancellationToken.None);
                status = await connection.SendAsync(request.Bytes);
            }
            catch (Exception exception) when (exception is SocketException or IOException or InvalidDataException or ObjectDisposedException)
            {
                tally.Errors++;
                _open[slot]?.Dispose();
                _open[slot] = null;
                continue;
            }

            Recorder.Record(tally, request.Account, status, started, Stopwatch.GetTimestamp());
        }
    }

    private IPEndPoint Endpoint(int slot) => _endpoints[slot % _endpoints.Count];

    private async ValueTask<long> WaitUntilDueAsync(long index)
    {
        var due = _startedTimestamp + (long)(index * _ticksPerRequest);
        var wait = due - Stopwatch.GetTimestamp();
        if (wait > Stopwatch.Frequency / 1000)
        {
            await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency));
        }

        return due;
    }

    private void CloseConnections()
    {
        for (var i = 0; i < _open.Length; i++)
        {
            _open[i]?.Dispose();
        }
    }
}

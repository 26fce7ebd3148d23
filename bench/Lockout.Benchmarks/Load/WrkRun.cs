using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Lockout.Benchmarks.Load;

/// <summary>
/// A closed-loop, fixed-duration run driven by wrk: one static request (method, headers and body from a Lua script
/// generated for the run) over keep-alive connections. wrk runs once for the warm-up, whose figures are discarded,
/// then, once the system has settled, once for the measured window.
/// </summary>
/// <remarks>
/// wrk costs a fraction of the built-in generator's CPU per request, so on two cores it leaves the system under test
/// more of the machine; it stays on that fast path only while the script defines no <c>request()</c> or
/// <c>response()</c> function, so it counts answers of 400 and above as one figure and the systems' own records
/// tell 401 from 423 (<see cref="LoadOutcome.UnsplitRefusals"/>). Meant for runs in which every answer is a refusal
/// (a wrong password, the ceiling's 423): every answer below 400 counts as <see cref="LoadOutcome.OtherStatus"/>.
/// </remarks>
internal sealed class WrkRun : ILoadRun
{
    public const string ExecutableName = "wrk";

    private const string ResultPrefix = "lockout-bench-wrk ";

    // The built-in generator waits for every answer; wrk's default 2 s would count a slow one (product hashing,
    // a thousand clients) as an error.
    private const int TimeoutSeconds = 60;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    // An answer this quick says no queue is left ahead of it (an idle system answers a refusal in 1-5 ms).
    private static readonly TimeSpan SettledLatency = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(10);

    private readonly string _executable;
    private readonly IPEndPoint _endpoint;
    private readonly byte[] _body;
    private readonly int _connections;
    private readonly TimeSpan _warmup;
    private readonly TimeSpan _duration;
    private readonly string? _forwardedFor;
    private long _startedTimestamp;

    private WrkRun(string executable, IPEndPoint endpoint, byte[] body, int connections, TimeSpan warmup, TimeSpan duration, string? forwardedFor)
    {
        _forwardedFor = forwardedFor;
        _executable = executable;
        _endpoint = endpoint;
        _body = body;
        _connections = connections;
        _warmup = warmup;
        _duration = duration;
    }

    public TimeSpan Elapsed => _startedTimestamp == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(_startedTimestamp);

    public long? Answered => null;

    public string Generator => LoadGenerator.Wrk;

    /// <summary>
    /// Called between the warm-up and the measured run, when no request is in flight: the systems' records can be
    /// read at the window's edge.
    /// </summary>
    public Func<CancellationToken, Task>? MeasuredRunStarting { get; set; }

    /// <summary>wrk's full path, or null when no <c>wrk</c> executable is on PATH.</summary>
    public static string? FindOnPath() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, ExecutableName))
            .FirstOrDefault(path => File.Exists(path) && (OperatingSystem.IsWindows() || (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0));

    /// <summary><c>POST /login</c> with <paramref name="body"/> (JSON), closed-loop on <paramref name="connections"/> connections.</summary>
    /// <param name="forwardedFor">The <c>X-Forwarded-For</c> to send, or null for none (<see cref="LoginRequest.Encode"/>).</param>
    public static WrkRun ClosedLoop(IPEndPoint endpoint, byte[] body, int connections, TimeSpan duration, TimeSpan warmup, string? forwardedFor = null) =>
        new(FindOnPath() ?? throw new InvalidOperationException("wrk is not on PATH (apt-get install -y wrk), or use --generator builtin."), endpoint, body, connections, warmup, duration, forwardedFor);

    public async Task<LoadOutcome> RunAsync(CancellationToken cancellationToken)
    {
        var script = Path.Combine(Path.GetTempPath(), $"lockout-bench-{Guid.NewGuid():N}.lua");
        await File.WriteAllTextAsync(script, Script(_body, _forwardedFor), cancellationToken);
        try
        {
            _startedTimestamp = Stopwatch.GetTimestamp();
            var warmedUp = _warmup > TimeSpan.Zero;
            var warmup = warmedUp ? await RunWrkAsync(script, _warmup, cancellationToken) : WrkSummary.Empty;
            var settling = warmedUp ? await SettleAsync(cancellationToken) : WrkSummary.Empty;
            if (MeasuredRunStarting is { } starting)
            {
                await starting(cancellationToken);
            }

            var measured = await RunWrkAsync(script, _duration, cancellationToken);
            var answered = warmup.Requests + settling.Requests + measured.Requests;
            var refusals = warmup.Errors.Status + settling.Errors.Status + measured.Errors.Status;
            return new LoadOutcome(
                Ok: 0,
                Unauthorized: 0,
                Locked: 0,
                OtherStatus: answered - refusals,
                Errors: warmup.Errors.Failed + settling.Errors.Failed + measured.Errors.Failed,
                Measured: measured.Requests,
                MeasuredDuration: TimeSpan.FromMicroseconds(measured.DurationUs),
                Latency: measured.Latency,
                VerifiedAnswersByAccount: [],
                CompletedAtUtc: DateTime.UtcNow)
            {
                Generator = LoadGenerator.Wrk,
                UnsplitRefusals = refusals,
                MeasuredRefusals = measured.Errors.Status,
            };
        }
        finally
        {
            File.Delete(script);
        }
    }

    /// <summary>
    /// The run's request, static, and a <c>done()</c> that prints the figures as one JSON line. Latencies are wrk's
    /// microseconds; <c>errors.status</c> counts the answers of 400 and above.
    /// </summary>
    private static string Script(byte[] body, string? forwardedFor) => $$$"""
        -- Generated by the Lockout benchmark for one run (bench/Lockout.Benchmarks/Load/WrkRun.cs). No request() or
        -- response() function: wrk sends this request as it is, without running Lua per request.
        wrk.method = "POST"
        wrk.headers["Content-Type"] = "application/json"
        {{{(forwardedFor is null ? "" : $"wrk.headers[\"X-Forwarded-For\"] = \"{forwardedFor}\"")}}}
        wrk.body = "{{{LuaEscape(body)}}}"

        function done(summary, latency, requests)
          local e = summary.errors
          io.write(string.format('{{{ResultPrefix}}}{"requests":%d,"durationUs":%d,"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d},"latencyUs":{"p50":%d,"p99":%d,"p999":%d,"max":%d}}\n',
            summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout, e.status,
            latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max))
        end
        """;

    /// <summary>
    /// Between the runs. The warm-up's wrk exits with a request in flight on every connection, and the system still
    /// works through them (the baseline with a thousand clients: about a second of database reads), so a measured run
    /// started at once would begin behind that queue. The same request, sent until one is answered within
    /// <see cref="SettledLatency"/>, says the queue is gone; its answers count with the warm-up's, as wrk counts them.
    /// </summary>
    private async Task<WrkSummary> SettleAsync(CancellationToken cancellationToken)
    {
        var request = LoginRequest.Frame(_body, _forwardedFor);
        var deadline = Stopwatch.GetTimestamp() + (long)(SettleTimeout.TotalSeconds * Stopwatch.Frequency);
        long answered = 0, refusals = 0;
        using var connection = await HttpLoginConnection.OpenAsync(_endpoint, cancellationToken);
        while (true)
        {
            var started = Stopwatch.GetTimestamp();
            var status = await connection.SendAsync(request);
            answered++;
            refusals += status >= 400 ? 1 : 0;
            if (Stopwatch.GetElapsedTime(started) <= SettledLatency || Stopwatch.GetTimestamp() > deadline)
            {
                return WrkSummary.Empty with { Requests = answered, Errors = WrkSummary.Empty.Errors with { Status = refusals } };
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken);
        }
    }

    private static string LuaEscape(byte[] text)
    {
        var escaped = new StringBuilder();
        foreach (var b in text)
        {
            if (b is >= 0x20 and < 0x7F and not (byte)'"' and not (byte)'\\')
            {
                escaped.Append((char)b);
            }
            else
            {
                escaped.Append(CultureInfo.InvariantCulture, $"\\{b:D3}");
            }
        }

        return escaped.ToString();
    }

    private async Task<WrkSummary> RunWrkAsync(string script, TimeSpan duration, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(_executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // wrk's -d takes whole seconds, so a fraction is rounded up; the figures use the time wrk reports it ran.
        // (Ending a shorter run early with SIGINT races wrk's start-up on a busy machine: the signal can arrive
        // before wrk handles it, and kills it without a result.)
        var wholeSeconds = Math.Max(1, (int)Math.Ceiling(duration.TotalSeconds));
        foreach (var argument in (string[])[
            "-t", Math.Clamp(Environment.ProcessorCount, 1, _connections).ToString(CultureInfo.InvariantCulture),
            "-c", _connections.ToString(CultureInfo.InvariantCulture),
            "-d", $"{wholeSeconds}s",
            "--timeout", $"{TimeoutSeconds}s",
            "-s", script,
            $"http://{_endpoint}/login"])
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("wrk did not start.");
        var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var errors = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(wholeSeconds + TimeoutSeconds));
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException($"wrk did not finish within {wholeSeconds + TimeoutSeconds} s.");
        }

        var text = await output;
        var line = text.Split('\n').LastOrDefault(line => line.StartsWith(ResultPrefix, StringComparison.Ordinal));
        if (process.ExitCode != 0 || line is null)
        {
            throw new InvalidOperationException($"wrk exited with {process.ExitCode} and no result line:{Environment.NewLine}{text}{await errors}");
        }

        return JsonSerializer.Deserialize<WrkSummary>(line[ResultPrefix.Length..], Json)
            ?? throw new InvalidDataException($"wrk's result line is empty: {line}");
    }

    /// <summary>What the script's <c>done()</c> prints.</summary>
    private sealed record WrkSummary(long Requests, long DurationUs, WrkErrors Errors, WrkLatency LatencyUs)
    {
        public static readonly WrkSummary Empty = new(0, 0, new WrkErrors(0, 0, 0, 0, 0), new WrkLatency(0, 0, 0, 0));

        public LatencySummary Latency => Requests == 0
            ? LatencySummary.None
            : new(LatencyUs.P50 / 1000.0, LatencyUs.P99 / 1000.0, LatencyUs.P999 / 1000.0, LatencyUs.Max / 1000.0);
    }

    /// <param name="Status">Answers of 400 and above.</param>
    private sealed record WrkErrors(long Connect, long Read, long Write, long Timeout, long Status)
    {
        /// <summary>Requests that got no answer: socket errors and timeouts.</summary>
        public long Failed => Connect + Read + Write + Timeout;
    }

    private sealed record WrkLatency(long P50, long P99, long P999, long Max);
}

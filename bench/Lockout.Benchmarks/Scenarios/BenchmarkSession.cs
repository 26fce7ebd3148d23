using System.Diagnostics;
using System.Globalization;
using Lockout.Benchmarks.Load;
using Lockout.Benchmarks.Measurement;
using Lockout.Benchmarks.Reporting;
using Lockout.Benchmarks.Systems;
using Spectre.Console;

namespace Lockout.Benchmarks.Scenarios;

/// <summary>
/// The systems, up, on one PostgreSQL server, for one hash setting; measures a run on any of them the same way.
/// </summary>
internal sealed class BenchmarkSession(
    BenchmarkOptions options, HashSetting hash, LockoutSystem lockout, IdentitySystem identity, BaselineSystem baseline, CeilingSystem ceiling, RedisActivity redis)
{
    private readonly DatabaseActivity _activity = new(lockout.Database);

    // Every process of ours is measured in every run, so "outside" CPU is only other programs' (an idle Lockout API
    // still uses some CPU while Identity runs).
    private readonly IReadOnlyList<ProcessGroup> _ours = [.. lockout.Processes, .. identity.Processes, .. baseline.Processes, .. ceiling.Processes];

    public IEnumerable<ILoginSystem> Systems => [lockout, identity, baseline];

    /// <summary>The systems a scenario runs on: the reference ceiling alone, or the login systems side by side.</summary>
    public IEnumerable<ILoginSystem> SystemsFor(string scenario) => scenario == "ceiling" ? [ceiling] : Systems;

    /// <summary>Unmeasured traffic through every path (success, failure, lock, locked), so neither side is measured cold.</summary>
    public async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        var accounts = new AccountSet("warmup", 1000, PasswordsFor(hash));
        var correct = accounts.EncodeAll(correctPassword: true);
        var wrong = accounts.EncodeAll(correctPassword: false);
        foreach (var system in (ILoginSystem[])[lockout, identity, baseline, ceiling])
        {
            await system.SeedAsync(accounts, cancellationToken);
            var duration = options.Smoke ? TimeSpan.FromSeconds(0.5) : TimeSpan.FromSeconds(5);
            var run = LoadRun.ClosedLoop(system.LoginEndpoint, new RandomLoginPlan(correct, wrong, wrongShare: 0.3), 64, duration).SpreadOver(system.LoginEndpoints);
            await LiveProgress.RunAsync($"warm-up {system.Name}", run, duration.TotalSeconds, null, cancellationToken);
        }
    }

    public async Task<ScenarioResult> MeasureAsync(ILoginSystem system, RunSpec spec, CancellationToken cancellationToken)
    {
        var label = $"{spec.Scenario} · {system.Name}";
        var runTime = Stopwatch.StartNew();
        await system.SeedAsync(spec.Accounts, cancellationToken);

        LoadOutcome? prepared = null;
        if (spec.Prepare is { } prepare)
        {
            var preparation = prepare(system.LoginEndpoint).SpreadOver(system.LoginEndpoints);
            prepared = await LiveProgress.RunAsync($"{label} (preparing)", preparation, null, spec.PrepareRequests, cancellationToken);
        }

        await Task.Delay(options.StatsDelay, cancellationToken);
        await QuietMachine.WaitAsync(_ours, options.QuietWait, cancellationToken);
        await system.BeginRunAsync(cancellationToken);
        var before = await _activity.SnapshotAsync(cancellationToken);
        var redisBefore = system.UsesRedis ? await redis.SnapshotAsync() : RedisCommandCounts.None;
        var monitor = ProcessMonitor.Start(_ours);
        var window = Stopwatch.StartNew();

        var load = spec.CreateLoad(system.LoginEndpoint);
        List<string> problems = [];
        List<string> notes = [];
        if (load is LoadRun spread)
        {
            spread.SpreadOver(system.LoginEndpoints);
        }
        else if (system.LoginEndpoints.Count > 1)
        {
            notes.Add($"{load.Generator}: to the first of {system.LoginEndpoints.Count} API instances only (one URL)");
        }

        if (load is TargetedAttackRun targeted)
        {
            // Smart mode's promise: the attacked account's owner still signs in from a source it knows.
            targeted.OwnerMustSignIn = system is LockoutSystem { Mode: LockoutPolicyMode.Smart };
        }
        var atWindow = default(VerificationCount);
        if (load is WrkRun wrk)
        {
            wrk.MeasuredRunStarting = async token => atWindow = await system.CountVerificationsAsync(spec.Accounts, token);
        }

        var outcome = await LiveProgress.RunAsync(
            label,
            load,
            spec.Requests is null ? (options.Warmup + options.Duration).TotalSeconds : null,
            spec.Requests,
            cancellationToken);
        if (prepared is not null)
        {
            outcome = outcome with { VerifiedAnswersByAccount = [.. outcome.VerifiedAnswersByAccount.Zip(prepared.VerifiedAnswersByAccount, (a, b) => a + b)] };
        }

        if (outcome.Generator == LoadGenerator.Wrk)
        {
            outcome = await SplitRefusalsAsync(system, spec.Accounts, outcome, atWindow, problems, notes, cancellationToken);
        }

        var audit = await AnsiConsole.Status().StartAsync(
            Markup.Escape($"{label}: waiting for the locks to be committed"),
            _ => system.AuditAsync(spec.Accounts, outcome, spec.ExpectedLocks, cancellationToken, spec.Sources));
        var activeSeconds = window.Elapsed.TotalSeconds;
        var usage = await monitor.StopAsync();

        await Task.Delay(options.StatsDelay, cancellationToken);
        var after = await _activity.SnapshotAsync(cancellationToken);
        var database = system.DatabaseName is { } name ? after[name] - before.GetValueOrDefault(name) : default;
        var redisCommands = system.UsesRedis ? await redis.SnapshotAsync() - redisBefore : RedisCommandCounts.None;

        problems.AddRange(outcome.Problems);
        problems.AddRange(audit.Problems);
        notes.AddRange(outcome.Notes);
        notes.AddRange(audit.Notes);
        // Warm-up included: the database's and Redis's counts cover the whole run, so they are divided by every answer.
        var answers = outcome.Ok + outcome.Unauthorized + outcome.Locked + outcome.Throttled + outcome.OtherStatus;
        if (system.DatabaseName is not null && answers > 0)
        {
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"DB transactions per answer (each autocommit statement, and Npgsql's connection reset, is one): {(double)database.Transactions / answers:0.00}"));
        }

        if (system.UsesRedis)
        {
            notes.Add($"Redis commands per answer (the relay's background polling included): {redisCommands.PerRequest(answers)}");
        }
        if (outcome.OtherStatus > 0 || outcome.Errors > 0)
        {
            problems.Add($"{outcome.OtherStatus} unexpected statuses and {outcome.Errors} failed requests.");
        }

        if (outcome.Measured == 0)
        {
            // A comparison system that answers nothing inside a short window (Identity with 1,000 clients on a loaded
            // machine, in the smoke's seconds-long runs) is measured too slow, not broken.
            (system.IsComparison ? notes : problems).Add("No request was started and answered inside the measured window.");
        }

        var result = Result(
            spec.Scenario, system, spec.Clients, outcome, outcome.MeasuredDuration.TotalSeconds, outcome.RequestsPerSecond,
            audit, database, activeSeconds, usage, problems, notes) with { RedisCommandsPerSecond = redisCommands.Total / activeSeconds };
        ResultsConsole.WriteRunLine(result, runTime.Elapsed);
        return result;
    }

    /// <summary>
    /// wrk on its fast path counts the answers of 400 and above as one figure; the system's own records split them:
    /// the wrong passwords it verified and answered 401, the rest 423. None may be verified in the measured window:
    /// the warm-up has locked the account, so every measured answer must be 423.
    /// </summary>
    /// <param name="atWindow">The system's count when the measured run began.</param>
    private static async Task<LoadOutcome> SplitRefusalsAsync(
        ILoginSystem system, AccountSet accounts, LoadOutcome outcome, VerificationCount atWindow, List<string> problems, List<string> notes, CancellationToken cancellationToken)
    {
        var atEnd = await system.CountVerificationsAsync(accounts, cancellationToken);
        var inWindow = atEnd.Verified - atWindow.Verified;
        if (inWindow > 0)
        {
            // Lockout must have locked by then. A comparison system that has not (the baseline, slow and losing
            // increments at 1,000 clients on a loaded machine) is reported as it is, with this said beside it.
            (system.IsComparison ? notes : problems).Add($"{system.Name} verified {inWindow} passwords in the measured window: the account was not locked by the end of the warm-up, so not every measured answer was 423.");
        }

        if (atEnd.AnsweredUnauthorized > outcome.UnsplitRefusals)
        {
            problems.Add($"{system.Name}'s records say {atEnd.AnsweredUnauthorized} answers were 401; wrk counted {outcome.UnsplitRefusals} answers of 400 and above.");
        }

        notes.Add($"wrk: {outcome.MeasuredRefusals:N0} of {outcome.Measured:N0} measured answers ≥ 400; 401/423 split by {system.Name}'s own count ({atEnd.AnsweredUnauthorized} × 401)");
        var unauthorized = Math.Min(atEnd.AnsweredUnauthorized, outcome.UnsplitRefusals);
        return outcome with
        {
            Unauthorized = unauthorized,
            Locked = outcome.UnsplitRefusals - unauthorized,
            UnsplitRefusals = 0,
            VerifiedAnswersByAccount = [(int)unauthorized],
        };
    }

    /// <summary>
    /// The writer's capacity: a wave's worth of LOCKED events appended to the outbox at once (the API cannot decide
    /// locks fast enough on two cores to load the writer to its limit), timed until every row is committed.
    /// </summary>
    /// <summary>
    /// A wave's locks appended to the Redis outbox at once, timed until every row is committed. With
    /// <paramref name="writerFrozen"/>, the writer is stopped (SIGSTOP) until the relay has moved them all to Kafka,
    /// then let go: its own rate over a backlog as a stalled or restarted writer finds it.
    /// </summary>
    public async Task<ScenarioResult> MeasureOutboxDrainAsync(int events, bool writerFrozen, CancellationToken cancellationToken)
    {
        var runTime = Stopwatch.StartNew();
        var label = writerFrozen ? $"writer backlog {events:N0}" : $"outbox drain {events:N0}";
        var accounts = new AccountSet(writerFrozen ? "backlog" : "drain", events, PasswordsFor(hash));
        await lockout.SeedAsync(accounts, cancellationToken);
        await Task.Delay(options.StatsDelay, cancellationToken);
        await QuietMachine.WaitAsync(_ours, options.QuietWait, cancellationToken);

        // Resources and database activity are measured over what is timed: from the first append, or from the moment
        // the frozen writer is let go.
        var before = writerFrozen ? null : await _activity.SnapshotAsync(cancellationToken);
        var monitor = writerFrozen ? null : ProcessMonitor.Start(_ours);
        var frozen = writerFrozen ? lockout.FreezeWriters() : null;
        var appendTime = Stopwatch.StartNew();
        DateTime appendedAt;
        var relaySeconds = 0.0;
        try
        {
            appendedAt = await AnsiConsole.Status().StartAsync(
                Markup.Escape($"{label}: appending {events:N0} LOCKED events to the outbox"),
                _ => LockoutOutboxInjector.AppendLocksAsync(lockout.RedisConnectionString, accounts, cancellationToken));
            if (writerFrozen)
            {
                await AnsiConsole.Status().StartAsync(
                    Markup.Escape($"{label}: the relay moves them to Kafka (writer stopped)"),
                    _ => LockoutOutboxInjector.WaitUntilRelayedAsync(lockout.RedisConnectionString, options.CatchUpTimeout, cancellationToken));
                relaySeconds = appendTime.Elapsed.TotalSeconds;
            }
        }
        finally
        {
            frozen?.Dispose();
        }

        var appendSeconds = appendTime.Elapsed.TotalSeconds;
        before ??= await _activity.SnapshotAsync(cancellationToken);
        monitor ??= ProcessMonitor.Start(_ours);
        var window = Stopwatch.StartNew();
        var released = DateTime.UtcNow;

        // Catch-up counts from the last append, or from the moment the writer was let go.
        var outcome = new LoadOutcome(0, 0, 0, 0, 0, events, window.Elapsed, LatencySummary.None, [], writerFrozen ? released : appendedAt) { Generator = LoadGenerator.None };
        var audit = await AnsiConsole.Status().StartAsync(
            Markup.Escape($"{label}: waiting for {events:N0} rows"),
            _ => lockout.AuditAsync(accounts, outcome, events, cancellationToken));
        // The frozen writer's rate counts from the moment it is let go (waking and rejoining included) to the start of
        // its last transaction; a backlog it took in one transaction (the smoke's) has no rate to speak of.
        var drainSeconds = writerFrozen
            ? audit.CatchUp > TimeSpan.Zero ? audit.CatchUp.TotalSeconds : double.NaN
            : appendSeconds + window.Elapsed.TotalSeconds;
        var usage = await monitor.StopAsync();
        await Task.Delay(options.StatsDelay, cancellationToken);
        var database = (await _activity.SnapshotAsync(cancellationToken))[LockoutSystem.DatabaseResource] - before[LockoutSystem.DatabaseResource];
        var note = !writerFrozen
            ? $"appended in {appendSeconds:0.00} s; all rows committed {audit.CatchUp.TotalSeconds:0.00} s after the last append"
            : $"appended and relayed to Kafka in {relaySeconds:0.00} s with the writer stopped; then first to last row in {audit.LockSpan.TotalSeconds:0.00} s, all committed {audit.CatchUp.TotalSeconds:0.00} s after the writer was let go";

        // No password is verified in a drain: the audit's count (one per lock) does not apply.
        var result = Result(
            label, lockout, clients: 0, outcome, drainSeconds, events / drainSeconds,
            audit with { Verifications = 0, MaxVerificationsPerAccount = 0 }, database, drainSeconds, usage, audit.Problems, [note]);
        ResultsConsole.WriteRunLine(result, runTime.Elapsed);
        return result;
    }

    /// <param name="activeSeconds">What the database's transactions and row writes are counted over.</param>
    private ScenarioResult Result(
        string scenario,
        ILoginSystem system,
        int clients,
        LoadOutcome outcome,
        double measuredSeconds,
        double requestsPerSecond,
        RunAudit audit,
        DatabaseCounters database,
        double activeSeconds,
        ResourceUsage usage,
        IReadOnlyList<string> problems,
        IReadOnlyList<string> notes) =>
        new(
            Hashing: hash.Name,
            Scenario: scenario,
            System: system.Name,
            Clients: clients,
            Requests: outcome.Measured,
            MeasuredSeconds: measuredSeconds,
            RequestsPerSecond: requestsPerSecond,
            P50Ms: outcome.Latency.P50Ms,
            P99Ms: outcome.Latency.P99Ms,
            P999Ms: outcome.Latency.P999Ms,
            Ok: outcome.Ok,
            Unauthorized: outcome.Unauthorized,
            Locked: outcome.Locked,
            OtherStatus: outcome.OtherStatus,
            Errors: outcome.Errors,
            Verifications: audit.Verifications,
            MaxVerificationsPerAccount: audit.MaxVerificationsPerAccount,
            DbTransactionsPerSecond: database.Transactions / activeSeconds,
            DbRowWritesPerSecond: database.RowWrites / activeSeconds,
            LockedAccounts: audit.LockedAccounts,
            LockRows: audit.LockRows,
            PeakLocksPerSecond: audit.PeakLocksPerSecond,
            CatchUpSeconds: audit.CatchUp.TotalSeconds,
            LockLatencyP50Ms: audit.LockLatencyP50Ms,
            LockLatencyP99Ms: audit.LockLatencyP99Ms,
            Resources: usage.Roles,
            MachineCores: usage.MachineCores,
            OutsideCores: usage.OutsideCores,
            Problems: problems,
            Notes: notes,
            Generator: outcome.Generator,
            Throttled: outcome.Throttled);

    public static PasswordSet PasswordsFor(HashSetting hash)
    {
        const string correct = "correct horse battery staple";
        var hashString = Baseline.BaselinePasswords.Create(hash.IterationCount).HashPassword(new object(), correct);
        return new PasswordSet(correct, "Password123!", hashString);
    }
}

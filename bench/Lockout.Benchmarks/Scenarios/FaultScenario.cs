using System.Globalization;
using System.Text;
using System.Text.Json;
using Lockout.Benchmarks.Load;
using Lockout.Benchmarks.Systems;
using Spectre.Console;

namespace Lockout.Benchmarks.Scenarios;

/// <summary>How long the fault scenario holds each fault, and the load it keeps up meanwhile.</summary>
/// <param name="Baseline">Load before the first fault (the table's first row).</param>
/// <param name="Settle">Load after each recovery before the next fault.</param>
/// <param name="RecoveryTimeout">How long after a dependency returns a normal answer may take before the run calls it unrecovered.</param>
internal sealed record FaultTimings(
    TimeSpan Baseline,
    TimeSpan RedisPause,
    TimeSpan BrokerOutage,
    TimeSpan Settle,
    TimeSpan RecoveryTimeout,
    double RequestsPerSecond,
    int Workers,
    int Accounts)
{
    /// <summary>The issue's: Redis paused 10 s, the broker down 30 s.</summary>
    public static readonly FaultTimings Full = new(
        TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30),
        RequestsPerSecond: 200, Workers: 16, Accounts: 20_000);

    /// <summary>Seconds, for the smoke: every fault happens, briefly.</summary>
    public static readonly FaultTimings Smoke = new(
        TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(20),
        RequestsPerSecond: 100, Workers: 8, Accounts: 4_000);
}

/// <summary>
/// Lockout under steady logins (<see cref="SteadyLoginLoad"/>) while its infrastructure and services fail in turn:
/// Redis paused, Redis killed and restarted from its append-only file, the broker down, PostgreSQL restarted, the
/// writer killed and restarted, the API killed and restarted. Per fault: the answers, the locks the answers decided
/// and the rows they reached, lost or duplicated, how long until logins were answered normally again, and whether a
/// process that was not the target exited.
/// </summary>
internal static class FaultScenario
{
    /// <summary>
    /// Redis syncs its append-only file every second: a decision written in the second (and the sync's own lag)
    /// before a SIGKILL may not be in the file. Losses of decisions answered this close to the kill are that window.
    /// </summary>
    private static readonly TimeSpan FsyncWindow = TimeSpan.FromSeconds(2);

    /// <summary>After a dependency returns, answers must be normal again within this (the issue's 5 s).</summary>
    private static readonly TimeSpan RecoveryTarget = TimeSpan.FromSeconds(5);

    /// <summary>While a dependency is away, a request that needs it is refused (503) about this quickly, not left hanging.</summary>
    private static readonly TimeSpan RefusalTarget = TimeSpan.FromSeconds(2);

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    private const string NoFault = "none (steady load)";
    private const string RedisKill = "Redis SIGKILL, restart from AOF";

    public static async Task<FaultReport> RunAsync(LockoutSystem lockout, BenchmarkOptions options, PasswordSet passwords, CancellationToken cancellationToken)
    {
        var timings = options.FaultTimings;
        var attacked = new AccountSet("faultlock", timings.Accounts, passwords);
        var users = new AccountSet("faultuser", 1000, passwords);
        await lockout.SeedAsync(attacked, cancellationToken);
        await lockout.SeedAsync(users, cancellationToken);
        var faults = lockout.Faults;

        (string Name, string? Target, Func<CancellationToken, Task> Inject)[] plan =
        [
            ($"Redis paused {timings.RedisPause.TotalSeconds:0} s (SIGSTOP)", "redis", token => faults.PauseRedisAsync(timings.RedisPause, token)),
            (RedisKill, "redis", faults.KillAndRestartRedisAsync),
            ($"broker down {timings.BrokerOutage.TotalSeconds:0} s", null, token => faults.BrokerOutageAsync(timings.BrokerOutage, token)),
            ("PostgreSQL restarted (fast shutdown)", "postgres", faults.RestartPostgresAsync),
            ("writer SIGKILL, restarted", "writer", faults.KillAndRestartWriterAsync),
            ("API SIGKILL, restarted", "api", faults.KillAndRestartApiAsync),
        ];

        List<FaultPhase> phases = [];
        List<string> problems = [];
        var load = SteadyLoginLoad.Start(lockout.LoginEndpoint, attacked, users, timings.Workers, timings.RequestsPerSecond);
        IReadOnlyList<ClientAnswer> answers;
        await using (load)
        {
            var baselineStart = DateTime.UtcNow;
            await Task.Delay(timings.Baseline, cancellationToken);
            phases.Add(new FaultPhase(NoFault, null, baselineStart, baselineStart, DateTime.UtcNow, []));
            foreach (var (name, target, inject) in plan)
            {
                var before = LockoutProcesses.FindServices();
                var start = DateTime.UtcNow;
                await AnsiConsole.Status().StartAsync(Markup.Escape($"fault: {name}"), _ => inject(cancellationToken));
                var returned = DateTime.UtcNow;
                var recoveryDeadline = returned + timings.RecoveryTimeout;
                while (load.LastNormalSentAt < returned && DateTime.UtcNow < recoveryDeadline)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken);
                }

                await Task.Delay(timings.Settle, cancellationToken);
                var after = LockoutProcesses.FindServices();
                var exited = before.Where(service => service.Key != target && after.GetValueOrDefault(service.Key) != service.Value).Select(service => service.Key).ToList();
                if (target is not null && !after.ContainsKey(target))
                {
                    problems.Add($"{name}: {target} is not running after the fault.");
                }

                phases.Add(new FaultPhase(name, target, start, returned, DateTime.UtcNow, exited));
                AnsiConsole.MarkupLine(Markup.Escape($"  {name}: back after {(returned - start).TotalSeconds:0.0} s"));
            }

            answers = await load.StopAsync();
            if (load.Exhausted > 0)
            {
                problems.Add($"{load.Exhausted} workers ran out of accounts to attack: the run needs more than {timings.Accounts:N0}.");
            }
        }

        var decided = answers.Where(answer => answer.Account >= 0 && answer.Status == 423)
            .GroupBy(answer => answer.Account)
            .ToDictionary(group => group.Key, group => group.MinBy(answer => answer.SentAt));

        // A 423 is also the answer when the budget is held by an attempt still in flight (a reservation a paused Redis
        // ran after its login was answered 503, until it is given back): no lock, so no row. Redis tells them apart;
        // every lock it holds must reach the database, however long the relay and the writer take to reconnect.
        var unlocked = new HashSet<int>();
        foreach (var account in decided.Keys)
        {
            if (!await lockout.IsLockedInRedisAsync(attacked.Username(account), cancellationToken))
            {
                unlocked.Add(account);
            }
        }

        var expected = decided.Keys.Where(account => !unlocked.Contains(account)).Select(attacked.NormalizedUsername).ToList();
        var rows = await AnsiConsole.Status().StartAsync(
            "faults: waiting for the locks' rows",
            _ => WaitForRowsAsync(lockout, attacked, expected, options.CatchUpTimeout, cancellationToken));
        unlocked.RemoveWhere(account => rows.ContainsKey(attacked.NormalizedUsername(account)));

        var results = phases.Select((phase, i) => Measure(phase, i + 1 < phases.Count ? phases[i + 1].Start : DateTime.MaxValue, answers, decided, unlocked, rows, attacked)).ToList();
        problems.AddRange(results.SelectMany(result => result.Problems));
        var report = new FaultReport(timings, results, problems);
        AnsiConsole.MarkupLine(Markup.Escape($"faults: {(DateTime.UtcNow - phases[0].Start).TotalSeconds:0} s under load and waiting for rows"));
        Write(report, options.OutputDirectory);
        return report;
    }

    /// <param name="decided">Each attacked account's first 423.</param>
    /// <param name="unlocked">Accounts answered 423 that have no row and that Redis does not hold locked.</param>
    private static FaultResult Measure(
        FaultPhase phase,
        DateTime end,
        IReadOnlyList<ClientAnswer> all,
        Dictionary<int, ClientAnswer> decided,
        HashSet<int> unlocked,
        Dictionary<string, LockRows> rows,
        AccountSet attacked)
    {
        var answers = all.Where(answer => answer.SentAt >= phase.Start && answer.SentAt < end).ToList();
        var refusedAnswers = decided.Where(pair => pair.Value.SentAt >= phase.Start && pair.Value.SentAt < end).ToList();

        // A 423 with neither a row nor a lock in Redis is no lock decision (the budget was held by an attempt in
        // flight), except where Redis itself may have lost the decision: a SIGKILL within its fsync window.
        var lostWithRedis = phase.Fault == RedisKill
            ? refusedAnswers.Where(pair => unlocked.Contains(pair.Key) && pair.Value.CompletedAt >= phase.Start - FsyncWindow && pair.Value.CompletedAt <= phase.Start).Select(pair => pair.Key).ToHashSet()
            : [];
        var budgetHeld = refusedAnswers.Count(pair => unlocked.Contains(pair.Key) && !lostWithRedis.Contains(pair.Key));
        var locks = refusedAnswers.Where(pair => !unlocked.Contains(pair.Key) || lostWithRedis.Contains(pair.Key)).ToList();
        var lockRows = locks.Select(pair => rows.GetValueOrDefault(attacked.NormalizedUsername(pair.Key))).ToList();
        var lost = locks.Where(pair => !rows.ContainsKey(attacked.NormalizedUsername(pair.Key))).Select(pair => pair.Value).ToList();
        var duplicated = lockRows.Sum(row => row is null ? 0 : row.Count - 1);
        // Locks Redis decided while the login that decided them was answered 503 (or not at all): the next attempt found
        // the account locked. They have rows; they are not the answers' decisions.
        var unanswered = rows.Where(row => row.Value.FirstOccurredAt >= phase.Start && row.Value.FirstOccurredAt < end && !decided.ContainsKey(attacked.IndexOf(row.Key))).Count();

        List<string> problems = [];
        List<string> notes = [];
        var afterReturn = answers.Where(answer => answer.SentAt >= phase.Returned).ToList();
        var recoverSeconds = afterReturn.Where(answer => answer.IsNormal).Select(answer => (double?)(answer.CompletedAt - phase.Returned).TotalSeconds).Min();
        if (phase.Fault != NoFault && recoverSeconds is null)
        {
            problems.Add($"{phase.Fault}: no normal answer after the dependency returned.");
        }

        var lateFailures = afterReturn.Count(answer => !answer.IsNormal && answer.SentAt > phase.Returned + RecoveryTarget);
        if (lateFailures > 0)
        {
            problems.Add($"{phase.Fault}: {lateFailures} requests sent more than {RecoveryTarget.TotalSeconds:0} s after the return were not answered normally.");
        }

        var refusals = answers.Where(answer => answer.Status == 503).ToList();
        var slowestRefusal = refusals.Select(answer => answer.CompletedAt - answer.SentAt).DefaultIfEmpty().Max();
        if (slowestRefusal > RefusalTarget)
        {
            // Issue 14's open target (503 within about a second), shown in the table and noted, not counted as a
            // failure: the run's failures are what is lost, duplicated, unrecovered or a process that exited.
            notes.Add($"{phase.Fault}: a 503 took {slowestRefusal.TotalSeconds:0.0} s, more than the {RefusalTarget.TotalSeconds:0} s target.");
        }

        if (refusals.Count > 0)
        {
            // When the 503s came, relative to the fault, and how long the requests answered normally while it lasted
            // waited: the answers say nothing of their own timing.
            var slowest = refusals.MaxBy(answer => answer.CompletedAt - answer.SentAt);
            var times = refusals.Select(answer => (answer.CompletedAt - answer.SentAt).TotalMilliseconds).Order().ToList();
            var sinceReturn = (slowest.CompletedAt - phase.Returned).TotalSeconds;
            var heldDuringFault = answers.Where(answer => answer.IsNormal && answer.SentAt >= phase.Start && answer.SentAt < phase.Returned)
                .Select(answer => (answer.CompletedAt - answer.SentAt).TotalMilliseconds).DefaultIfEmpty().Max();
            notes.Add(FormattableString.Invariant(
                $"{phase.Fault}: 503s sent from {(refusals.Min(answer => answer.SentAt) - phase.Start).TotalSeconds:0.0} s to {(refusals.Max(answer => answer.SentAt) - phase.Start).TotalSeconds:0.0} s after the fault began (out {(phase.Returned - phase.Start).TotalSeconds:0.0} s), answered in p50 {times[times.Count / 2]:0} ms / max {times[^1]:0} ms; {times.Count(ms => ms > RefusalTarget.TotalMilliseconds)} slower than {RefusalTarget.TotalSeconds:0} s; the slowest sent {(slowest.SentAt - phase.Start).TotalSeconds:0.0} s after the fault began and answered {Math.Abs(sinceReturn):0.0} s {(sinceReturn < 0 ? "before" : "after")} its return; the slowest normal answer to a request sent during the fault took {heldDuringFault:0} ms."));
        }

        var otherStatuses = answers.Where(answer => answer.Status != 0 && !answer.IsNormal && answer.Status != 503).GroupBy(answer => answer.Status).ToList();
        if (otherStatuses.Count > 0)
        {
            problems.Add($"{phase.Fault}: unexpected answers {string.Join(", ", otherStatuses.Select(group => $"{group.Count()} × {group.Key}"))}.");
        }

        // SIGKILL on Redis within its fsync window can take a decision the login already answered: the inherent loss.
        var inWindow = lostWithRedis.Count;
        if (lost.Count > inWindow)
        {
            problems.Add($"{phase.Fault}: {lost.Count - inWindow} locks answered 423 and held in Redis have no LOCKED row.");
        }

        if (inWindow > 0)
        {
            notes.Add($"{phase.Fault}: {inWindow} locks answered 423 in the {FsyncWindow.TotalSeconds:0} s before the SIGKILL are neither in Redis nor in the database: Redis's fsync window (appendfsync everysec).");
        }

        if (budgetHeld > 0)
        {
            notes.Add($"{phase.Fault}: {budgetHeld} answers of 423 were no lock: the account's budget was held by an attempt in flight (a reservation Redis ran after its login was answered 503), so no row; Redis does not hold them locked.");
        }

        if (duplicated > 0)
        {
            problems.Add($"{phase.Fault}: {duplicated} duplicated LOCKED rows.");
        }

        if (phase.Exited.Count > 0)
        {
            problems.Add($"{phase.Fault}: {string.Join(", ", phase.Exited)} exited though not the fault's target.");
        }

        if (unanswered > 0)
        {
            notes.Add($"{phase.Fault}: {unanswered} locks decided in Redis while their login was answered 503 or not at all (their rows arrived; the next attempt was answered 423).");
        }

        var lastRow = lockRows.Where(row => row is not null).Select(row => row!.LastRecordedAt).DefaultIfEmpty(phase.Returned).Max();
        return new FaultResult(
            phase.Fault,
            OutSeconds: (phase.Returned - phase.Start).TotalSeconds,
            Answered: answers.Count(answer => answer.Status != 0),
            Refused503: refusals.Count,
            Unanswered: answers.Count(answer => answer.Status == 0),
            SlowestRefusalMs: slowestRefusal.TotalMilliseconds,
            LockDecisions: locks.Count,
            Rows: lockRows.Sum(row => row?.Count ?? 0),
            Lost: lost.Count,
            LostInFsyncWindow: inWindow,
            Duplicated: duplicated,
            RecoverSeconds: phase.Fault == NoFault ? null : recoverSeconds,
            RowsCaughtUpSeconds: phase.Fault == NoFault ? null : Math.Max(0, (lastRow - phase.Returned).TotalSeconds),
            Exited: phase.Exited,
            Problems: problems,
            Notes: notes);
    }

    /// <summary>
    /// Waits until every account in <paramref name="expected"/> has its LOCKED row (a lock lost with Redis never
    /// arrives: then until <paramref name="timeout"/>), and returns every LOCKED row of the attacked accounts.
    /// </summary>
    private static async Task<Dictionary<string, LockRows>> WaitForRowsAsync(
        LockoutSystem lockout, AccountSet attacked, IReadOnlyList<string> expected, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // A pool of its own: the restart ended every connection the benchmark's pool held before it.
        await using var database = Npgsql.NpgsqlDataSource.Create(lockout.DatabaseConnectionString);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var rows = await ReadLockRowsAsync(database, attacked.NormalizedPrefix + "%", cancellationToken);
            if (expected.All(rows.ContainsKey) || DateTime.UtcNow > deadline)
            {
                return rows;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
        }
    }

    private static async Task<Dictionary<string, LockRows>> ReadLockRowsAsync(Npgsql.NpgsqlDataSource database, string prefix, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("""
            SELECT USERNAME, COUNT(*), MIN(OCCURRED_AT), MAX(RECORDED_AT)
              FROM LOCKOUT_EVENTS
             WHERE EVENT_TYPE = 'LOCKED' AND USERNAME LIKE @Prefix
             GROUP BY USERNAME
            """);
        command.Parameters.AddWithValue("Prefix", prefix);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new Dictionary<string, LockRows>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows[reader.GetString(0)] = new LockRows((int)reader.GetInt64(1), reader.GetDateTime(2), reader.GetDateTime(3));
        }

        return rows;
    }

    private static void Write(FaultReport report, string outputDirectory)
    {
        var table = new Table().Title("Faults under steady logins");
        string[] columns = ["fault", "out s", "answered", "503", "no answer", "slowest 503 ms", "locks answered", "LOCKED rows", "lost", "duplicated", "recover s", "rows caught up s", "exited"];
        foreach (var column in columns)
        {
            table.AddColumn(column);
        }

        foreach (var row in report.Results)
        {
            table.AddRow([.. row.Cells().Select(Markup.Escape)]);
        }

        AnsiConsole.Write(table);
        foreach (var line in report.Results.SelectMany(result => result.Notes))
        {
            AnsiConsole.MarkupLine(Markup.Escape($"  {line}"));
        }

        foreach (var problem in report.Problems)
        {
            AnsiConsole.MarkupLine($"[red]✗[/] {Markup.Escape(problem)}");
        }

        Directory.CreateDirectory(outputDirectory);
        var markdown = new StringBuilder()
            .AppendLine("# Faults under steady logins")
            .AppendLine()
            .AppendLine(report.Description)
            .AppendLine()
            .AppendLine($"| {string.Join(" | ", columns)} |")
            .AppendLine($"| --- |{string.Concat(Enumerable.Repeat(" ---: |", columns.Length - 2))} --- |");
        foreach (var row in report.Results)
        {
            markdown.AppendLine($"| {string.Join(" | ", row.Cells())} |");
        }

        markdown.AppendLine();
        foreach (var line in report.Results.SelectMany(result => result.Notes).Concat(report.Problems.Select(problem => "✗ " + problem)))
        {
            markdown.AppendLine($"- {line}");
        }

        File.WriteAllText(Path.Combine(outputDirectory, "faults.md"), markdown.ToString());
        File.WriteAllText(Path.Combine(outputDirectory, "faults.json"), JsonSerializer.Serialize(report, Json));
    }

    private sealed record FaultPhase(string Fault, string? Target, DateTime Start, DateTime Returned, DateTime End, IReadOnlyList<string> Exited);

    /// <param name="Count">LOCKED rows of one account: EVENT_ID is the primary key, so a second row is a second event.</param>
    private sealed record LockRows(int Count, DateTime FirstOccurredAt, DateTime LastRecordedAt);

    private static int IndexOf(this AccountSet accounts, string normalizedUsername) =>
        int.TryParse(normalizedUsername.AsSpan(accounts.NormalizedPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? index : -1;
}

/// <summary>One fault's row of the table.</summary>
/// <param name="OutSeconds">From the fault to the dependency answering again.</param>
/// <param name="LockDecisions">Accounts whose lock a login answered (their first 423).</param>
/// <param name="Rows">LOCKED rows of those accounts.</param>
/// <param name="Lost">Of those accounts, the ones with no LOCKED row.</param>
/// <param name="RecoverSeconds">From the dependency's return to the first normal answer to a request sent after it.</param>
/// <param name="RowsCaughtUpSeconds">From the dependency's return to the last of the fault's locks committed.</param>
internal sealed record FaultResult(
    string Fault,
    double OutSeconds,
    long Answered,
    long Refused503,
    long Unanswered,
    double SlowestRefusalMs,
    int LockDecisions,
    int Rows,
    int Lost,
    int LostInFsyncWindow,
    int Duplicated,
    double? RecoverSeconds,
    double? RowsCaughtUpSeconds,
    IReadOnlyList<string> Exited,
    IReadOnlyList<string> Problems,
    IReadOnlyList<string> Notes)
{
    public string[] Cells() =>
    [
        Fault,
        Format(OutSeconds, "0.0"),
        Answered.ToString("N0", CultureInfo.InvariantCulture),
        Refused503.ToString("N0", CultureInfo.InvariantCulture),
        Unanswered.ToString("N0", CultureInfo.InvariantCulture),
        Refused503 > 0 ? Format(SlowestRefusalMs, "0") : "–",
        LockDecisions.ToString("N0", CultureInfo.InvariantCulture),
        Rows.ToString("N0", CultureInfo.InvariantCulture),
        LostInFsyncWindow > 0 ? $"{Lost} ({LostInFsyncWindow} in fsync window)" : Lost.ToString(CultureInfo.InvariantCulture),
        Duplicated.ToString(CultureInfo.InvariantCulture),
        RecoverSeconds is { } recover ? Format(recover, "0.00") : "–",
        RowsCaughtUpSeconds is { } caughtUp ? Format(caughtUp, "0.0") : "–",
        Exited.Count == 0 ? "none" : string.Join(", ", Exited),
    ];

    private static string Format(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}

internal sealed record FaultReport(FaultTimings Timings, IReadOnlyList<FaultResult> Results, IReadOnlyList<string> Problems)
{
    public string Description => string.Create(CultureInfo.InvariantCulture,
        $"{Timings.RequestsPerSecond:0} logins/s open-loop from {Timings.Workers} clients, half right passwords of ordinary users, half wrong " +
        $"passwords to accounts attacked a few at a time until each locks. Each fault is held, then the load goes on " +
        $"{Timings.Settle.TotalSeconds:0} s past the first normal answer before the next. Answers and locks are counted by when their request was sent.");
}

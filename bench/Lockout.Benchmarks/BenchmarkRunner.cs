using Lockout.Benchmarks.Reporting;
using Lockout.Benchmarks.Scenarios;
using Lockout.Benchmarks.Systems;
using Spectre.Console;

namespace Lockout.Benchmarks;

/// <summary>
/// For each hash setting: starts Lockout (AppHost, local mode), ASP.NET Core Identity and the baseline on the same
/// PostgreSQL, warms them up, runs the scenarios on each in turn, and writes the results. Returns non-zero when a
/// run found a problem.
/// </summary>
internal static class BenchmarkRunner
{
    /// <summary>Writes the tables, targets and chart again from a results JSON (after a change to how they are shown).</summary>
    public static int Render(string resultsJson, BenchmarkOptions options)
    {
        var (machine, hash, results) = ResultsFiles.Read(resultsJson);
        var targets = TargetCheck.Evaluate(results, options);
        ResultsConsole.WriteResults($"{hash.Label} · {machine}", results, targets);
        var directory = Path.GetDirectoryName(Path.GetFullPath(resultsJson))!;
        ResultsFiles.Write(directory, hash, machine, options, results, targets);
        ResultsChart.Write(directory, hash, machine, results);
        return 0;
    }

    public static async Task<int> RunAsync(BenchmarkOptions options, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(options.OutputDirectory);
        var machine = MachineInfo.Current();
        AnsiConsole.MarkupLine($"[bold]Lockout benchmark[/]{(options.Smoke ? " [yellow](smoke)[/]" : "")} · {Markup.Escape(machine.ToString())}");
        if (options.Generator is null && options.ClosedLoopGenerator == Load.LoadGenerator.Builtin)
        {
            AnsiConsole.MarkupLine("[yellow]No wrk on PATH: the built-in generator drives the ceiling and hot runs too, and caps them lower (apt-get install -y wrk).[/]");
        }

        var problems = 0;

        // Redis alone, no login system: once, whatever the hashing.
        if (options.Hashes.Any(hash => options.ScenariosFor(hash).Contains("memory")) && !options.Hold)
        {
            await RedisMemoryScenario.RunAsync(options.MemoryAccounts, options.Scale.RedisShards, options.OutputDirectory, cancellationToken);
        }

        foreach (var hash in options.Hashes)
        {
            if (!options.Hold && options.ScenariosFor(hash).All(scenario => scenario == "memory"))
            {
                continue;
            }

            AnsiConsole.Write(new Rule(Markup.Escape($"Hashing: {hash.Label}")).LeftJustified());
            var results = new List<ScenarioResult>();
            FaultReport? faults = null;
            foreach (var mode in options.Hold ? [options.Policies[0]] : options.Policies)
            {
                var scenarios = options.ScenariosFor(hash, mode);
                if (scenarios.Count > 0 || options.Hold)
                {
                    var (modeResults, modeFaults) = await RunHashSettingAsync(options, hash, mode, scenarios, cancellationToken);
                    results.AddRange(modeResults);
                    faults ??= modeFaults;
                }
            }

            if (options.Hold)
            {
                return 0;
            }

            problems += faults?.Problems.Count ?? 0;
            if (results.Count == 0)
            {
                continue;
            }

            var targets = TargetCheck.Evaluate(results, options);
            ResultsConsole.WriteResults($"{hash.Label} · {machine}", results, targets);
            var files = ResultsFiles.Write(options.OutputDirectory, hash, machine, options, results, targets);
            var chart = ResultsChart.Write(options.OutputDirectory, hash, machine, results);
            AnsiConsole.MarkupLine($"Results: {Markup.Escape(string.Join(", ", [.. files, chart]))}");

            problems += results.Sum(result => result.Problems.Count);
        }

        if (problems > 0)
        {
            AnsiConsole.MarkupLine($"[red]{problems} problem(s) found; see the ✗ lines above.[/]");
            return 1;
        }

        return 0;
    }

    /// <param name="mode">Lockout's policy mode for this pass; in Smart mode only Lockout runs the scenarios.</param>
    /// <returns>The scenarios' results, and the fault scenario's report when it ran.</returns>
    private static async Task<(List<ScenarioResult> Results, FaultReport? Faults)> RunHashSettingAsync(
        BenchmarkOptions options, HashSetting hash, LockoutPolicyMode mode, IReadOnlyList<string> scenarios, CancellationToken cancellationToken)
    {
        var logPath = Path.Combine(options.OutputDirectory, mode == LockoutPolicyMode.Account ? $"{hash.Name}-apphost.log" : $"{hash.Name}-smart-apphost.log");
        AnsiConsole.MarkupLine($"[bold]Lockout in {mode} mode[/]");
        var lockout = await AnsiConsole.Status().StartAsync(
            $"Starting Lockout in {mode} mode (AppHost, local mode: redis-server, PostgreSQL, mock Kafka, writer, API; {options.Scale})…",
            _ => LockoutSystem.StartAsync(mode, options.Scale, hash.IterationCount, logPath, options.CatchUpTimeout, options.PerfMap, options.ApiEnvironment, options.WriterEnvironment, cancellationToken));
        await using (lockout)
        {
            var identity = await IdentitySystem.StartAsync(lockout.DatabaseConnectionString, hash.IterationCount, options.PerfMap, cancellationToken);
            await using (identity)
            await using (var baseline = await BaselineSystem.StartAsync(lockout.DatabaseConnectionString, hash.IterationCount, options.PerfMap, cancellationToken))
            await using (var ceiling = await CeilingSystem.StartAsync(lockout.RedisConnectionString, options.PerfMap, cancellationToken))
            await using (var redis = await Measurement.RedisActivity.ConnectAsync(lockout.RedisConnectionString))
            {
                AnsiConsole.MarkupLine($"Lockout API on {string.Join(", ", lockout.LoginEndpoints)}, Identity on {identity.LoginEndpoint}, baseline on {baseline.LoginEndpoint}; logs in {Markup.Escape(logPath)}");
                var session = new BenchmarkSession(options, hash, lockout, identity, baseline, ceiling, redis);
                await session.WarmUpAsync(cancellationToken);
                if (options.Hold)
                {
                    await HoldMode.RunAsync(session, options, hash, cancellationToken);
                    return ([], null);
                }

                var passwords = BenchmarkSession.PasswordsFor(hash);
                var results = new List<ScenarioResult>();
                FaultReport? faults = null;
                foreach (var scenario in scenarios)
                {
                    if (scenario == "memory")
                    {
                        continue;
                    }

                    if (scenario == "faults")
                    {
                        AnsiConsole.Write(new Rule("faults · Lockout").LeftJustified());
                        faults = await FaultScenario.RunAsync(lockout, options, passwords, cancellationToken);
                        continue;
                    }

                    if (scenario is "drain" or "backlog")
                    {
                        results.Add(await session.MeasureOutboxDrainAsync(options.WaveAccounts, writerFrozen: scenario == "backlog", cancellationToken));
                        continue;
                    }

                    foreach (var spec in ScenarioCatalog.Create(scenario, options, passwords))
                    {
                        // In Smart mode only Lockout runs: Identity and the baseline ran in the Account-mode pass.
                        foreach (var system in session.SystemsFor(scenario).Where(system =>
                            (mode == LockoutPolicyMode.Account || system is LockoutSystem) && (spec.SystemFilter?.Invoke(system) ?? true)))
                        {
                            results.Add(await session.MeasureAsync(system, spec, cancellationToken));
                        }
                    }
                }

                return (results, faults);
            }
        }
    }
}

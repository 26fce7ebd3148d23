using System.Globalization;
using System.Text;
using System.Text.Json;
using Lockout.Benchmarks.Scenarios;

namespace Lockout.Benchmarks.Reporting;

/// <summary>Writes one hash setting's results as <c>{name}.json</c>, <c>{name}.csv</c> and <c>{name}.md</c>.</summary>
internal static class ResultsFiles
{
    // NaN: a latency percentile of a run that timed no request.
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static IReadOnlyList<string> Write(
        string directory, HashSetting hash, MachineInfo machine, BenchmarkOptions options, IReadOnlyList<ScenarioResult> results, IReadOnlyList<TargetCheck> targets)
    {
        Directory.CreateDirectory(directory);
        var basePath = Path.Combine(directory, hash.Name);

        var document = new
        {
            Machine = machine,
            Hashing = new { hash.Name, hash.IterationCount, hash.Label },
            Options = new
            {
                options.Smoke,
                DurationSeconds = options.Duration.TotalSeconds,
                WarmupSeconds = options.Warmup.TotalSeconds,
                options.HotClients,
                options.WaveAccounts,
                options.WaveClients,
                options.MixedAccounts,
                options.MixedClients,
                options.LockRate,
                SteadySeconds = options.SteadyDuration.TotalSeconds,
                ClosedLoopGenerator = results.Any(result => result.Generator == Load.LoadGenerator.Wrk) ? Load.LoadGenerator.Wrk : Load.LoadGenerator.Builtin,
            },
            Results = results,
            Targets = targets,
        };
        File.WriteAllText(basePath + ".json", JsonSerializer.Serialize(document, Json));
        File.WriteAllText(basePath + ".csv", Csv(results));

        var markdown = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"Hashing: {hash.Label}. Machine: {machine}. {ResultsTable.GeneratorNote(results)}")
            .AppendLine()
            .AppendLine(ResultsTable.Markdown(ResultsTable.Columns, ResultsTable.Rows(results)))
            .AppendLine()
            .AppendLine(ResultsTable.Markdown(ResultsTable.RatioColumns, ResultsTable.RatioRows(results)))
            .AppendLine()
            .AppendLine(ResultsTable.Markdown(["Target", "Measured", "Met"], targets.Select(target => new[] { target.Target, target.Figure, target.Met switch { true => "met", false => "not met", null => "–" } })));
        File.WriteAllText(basePath + ".md", markdown.ToString());

        return [basePath + ".json", basePath + ".csv", basePath + ".md"];
    }

    public static (MachineInfo Machine, HashSetting Hash, IReadOnlyList<ScenarioResult> Results) Read(string path)
    {
        var document = JsonSerializer.Deserialize<ResultsDocument>(File.ReadAllText(path), Json)
            ?? throw new InvalidDataException($"{path} holds no results.");
        var hash = document.Hashing.Name == HashSetting.Product.Name ? HashSetting.Product : HashSetting.Pipeline;
        return (document.Machine, hash, document.Results);
    }

    private sealed record ResultsDocument(MachineInfo Machine, HashingDocument Hashing, List<ScenarioResult> Results);

    private sealed record HashingDocument(string Name);

    private static string Csv(IReadOnlyList<ScenarioResult> results)
    {
        var roles = results.SelectMany(result => result.Resources.Select(usage => usage.Role)).Distinct().ToList();
        var header = new List<string>
        {
            "hashing", "scenario", "system", "clients", "generator", "requests", "measured_s", "req_per_s", "p50_ms", "p99_ms", "p999_ms",
            "ok", "unauthorized", "locked", "other_status", "errors", "verifications", "max_verifications_per_account",
            "db_tx_per_s", "db_row_writes_per_s", "redis_commands_per_s", "locked_accounts", "lock_rows", "peak_locks_per_s", "catch_up_s",
            "lock_latency_p50_ms", "lock_latency_p99_ms", "machine_cores", "outside_cores", "problems",
        };
        header.AddRange(roles.SelectMany(role => new[] { $"{role}_peak_mib", $"{role}_cores" }));

        var csv = new StringBuilder().AppendLine(string.Join(',', header));
        foreach (var r in results)
        {
            var fields = new List<object?>
            {
                r.Hashing, r.Scenario, r.System, r.Clients, r.Generator, r.Requests, r.MeasuredSeconds, r.RequestsPerSecond, r.P50Ms, r.P99Ms, r.P999Ms,
                r.Ok, r.Unauthorized, r.Locked, r.OtherStatus, r.Errors, r.Verifications, r.MaxVerificationsPerAccount,
                r.DbTransactionsPerSecond, r.DbRowWritesPerSecond, r.RedisCommandsPerSecond, r.LockedAccounts, r.LockRows, r.PeakLocksPerSecond, r.CatchUpSeconds,
                r.LockLatencyP50Ms, r.LockLatencyP99Ms, r.MachineCores, r.OutsideCores, string.Join("; ", r.Problems),
            };
            foreach (var role in roles)
            {
                var usage = r.Usage(role);
                fields.Add(usage?.PeakMemoryMiB);
                fields.Add(usage?.Cores);
            }

            csv.AppendLine(string.Join(',', fields.Select(Field)));
        }

        return csv.ToString();
    }

    private static string Field(object? value) => value switch
    {
        null => "",
        double number => number.ToString("0.###", CultureInfo.InvariantCulture),
        string text when text.Contains(',', StringComparison.Ordinal) || text.Contains('"', StringComparison.Ordinal) => $"\"{text.Replace("\"", "\"\"", StringComparison.Ordinal)}\"",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}

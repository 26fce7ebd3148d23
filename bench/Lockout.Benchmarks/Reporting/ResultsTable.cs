using System.Globalization;
using Lockout.Benchmarks.Scenarios;

namespace Lockout.Benchmarks.Reporting;

/// <summary>The results as rows of text, shared by the console tables and the Markdown file.</summary>
internal static class ResultsTable
{
    public static readonly string[] Columns =
    [
        "Scenario", "System", "Clients", "Generator", "req/s", "p50 ms", "p99 ms", "p99.9 ms", "Verifications (max/account)",
        "DB tx/s", "DB row writes/s", "Redis cmd/s", "Locks/s (peak)", "Catch-up s", "Lock latency p50/p99 ms",
        "Peak MiB service / postgres / bench", "CPU cores service / postgres / bench / outside",
    ];

    public static readonly string[] RatioColumns =
    [
        "Scenario", "Lockout / …", "req/s", "p99", "Verifications per account", "DB tx/s", "Service peak MiB", "Service CPU",
    ];

    /// <summary>What Lockout is compared with in the ratio rows, in this order.</summary>
    private static readonly string[] Comparisons = [Systems.IdentitySystem.SystemName, "Baseline"];

    public static IEnumerable<string[]> Rows(IEnumerable<ScenarioResult> results) => results.Select(result => new[]
    {
        result.Scenario,
        result.System,
        Number(result.Clients),
        result.Generator,
        Number(result.RequestsPerSecond),
        Decimal(result.P50Ms),
        Decimal(result.P99Ms),
        Decimal(result.P999Ms),
        result.MaxVerificationsPerAccount > 0 ? $"{Number(result.Verifications)} ({Number(result.MaxVerificationsPerAccount)})" : Number(result.Verifications),
        Number(result.DbTransactionsPerSecond),
        Number(result.DbRowWritesPerSecond),
        Number(result.RedisCommandsPerSecond),
        Number(result.PeakLocksPerSecond),
        Decimal(result.CatchUpSeconds),
        result.LockLatencyP50Ms is null ? "–" : $"{Decimal(result.LockLatencyP50Ms.Value)} / {Decimal(result.LockLatencyP99Ms ?? double.NaN)}",
        $"{Number(result.ServiceMemoryMiB)} / {Number(result.Usage("postgres")?.PeakMemoryMiB ?? 0)} / {Number(result.Usage("bench")?.PeakMemoryMiB ?? 0)}",
        $"{Decimal(result.ServiceCores)} / {Decimal(result.Usage("postgres")?.Cores ?? 0)} / {Decimal(result.Usage("bench")?.Cores ?? 0)} / {Decimal(result.OutsideCores)}",
    });

    public static IEnumerable<string[]> RatioRows(IReadOnlyList<ScenarioResult> results)
    {
        foreach (var scenario in results.Select(result => result.Scenario).Distinct())
        {
            var lockout = results.FirstOrDefault(result => result.Scenario == scenario && result.System == "Lockout");
            if (lockout is null)
            {
                continue;
            }

            foreach (var name in Comparisons)
            {
                if (results.FirstOrDefault(result => result.Scenario == scenario && result.System == name) is not { } other)
                {
                    continue;
                }

                yield return
                [
                    scenario,
                    name,
                    Ratio(lockout.RequestsPerSecond, other.RequestsPerSecond),
                    Ratio(lockout.P99Ms, other.P99Ms),
                    Ratio(lockout.MaxVerificationsPerAccount, other.MaxVerificationsPerAccount),
                    Ratio(lockout.DbTransactionsPerSecond, other.DbTransactionsPerSecond),
                    Ratio(lockout.ServiceMemoryMiB, other.ServiceMemoryMiB),
                    Ratio(lockout.ServiceCores, other.ServiceCores),
                ];
            }
        }
    }

    /// <summary>Which generator drove which scenarios, e.g. "Load generators: wrk (ceiling c=1000, hot c=1); builtin (wave)".</summary>
    public static string GeneratorNote(IEnumerable<ScenarioResult> results)
    {
        var byGenerator = results
            .Where(result => result.Generator != Load.LoadGenerator.None)
            .GroupBy(result => result.Generator)
            .Select(group => $"{group.Key} ({string.Join(", ", group.Select(result => result.Scenario).Distinct())})");
        return $"Load generators: {string.Join("; ", byGenerator)}.";
    }

    public static string Markdown(IReadOnlyList<string> columns, IEnumerable<string[]> rows)
    {
        var lines = new List<string>
        {
            "| " + string.Join(" | ", columns) + " |",
            "|" + string.Concat(columns.Select(_ => " --- |")),
        };
        lines.AddRange(rows.Select(row => "| " + string.Join(" | ", row) + " |"));
        return string.Join(Environment.NewLine, lines);
    }

    private static string Ratio(double lockout, double other) =>
        other > 0 && lockout > 0 ? $"{(lockout / other).ToString(lockout / other >= 10 ? "N0" : "0.00", CultureInfo.InvariantCulture)}×" : "–";

    private static string Number(double value) => double.IsFinite(value) ? value.ToString("N0", CultureInfo.InvariantCulture) : "–";

    private static string Decimal(double value) => double.IsFinite(value) ? value.ToString(value >= 100 ? "N0" : "0.00", CultureInfo.InvariantCulture) : "–";
}

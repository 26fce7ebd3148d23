using System.Globalization;
using Lockout.Benchmarks.Scenarios;
using Spectre.Console;

namespace Lockout.Benchmarks.Reporting;

/// <summary>The results on the console: a line per run as it finishes, then the tables.</summary>
internal static class ResultsConsole
{
    public static void WriteRunLine(ScenarioResult result, TimeSpan took)
    {
        var mark = result.Problems.Count == 0 ? "[green]✓[/]" : "[red]✗[/]";
        var figures = double.IsFinite(result.P50Ms)
            ? string.Create(CultureInfo.InvariantCulture, $"{result.RequestsPerSecond:N0} req/s, p50 {result.P50Ms:0.00} ms, p99 {result.P99Ms:0.00} ms, {result.Verifications:N0} verifications (max {result.MaxVerificationsPerAccount:N0}/account), {result.DbTransactionsPerSecond:N0} DB tx/s{(result.RedisCommandsPerSecond > 0 ? $", {result.RedisCommandsPerSecond:N0} Redis cmd/s" : "")}")
            : string.Create(CultureInfo.InvariantCulture, $"{result.RequestsPerSecond:N0} lock events/s, peak {result.PeakLocksPerSecond:N0}/s, caught up {result.CatchUpSeconds:0.00} s after {(result.Scenario.StartsWith("writer backlog", StringComparison.Ordinal) ? "the writer was let go" : "the last append")}, lock latency p50/p99 {result.LockLatencyP50Ms:0}/{result.LockLatencyP99Ms:0} ms");
        var generator = result.Generator == Load.LoadGenerator.None ? "" : $" ({result.Generator})";
        AnsiConsole.MarkupLine($"{mark} {Markup.Escape($"{result.Scenario} · {result.System}{generator}: {figures} [{took.TotalSeconds:0.0} s]")}");
        if (result.OutsideCores > 0.25)
        {
            AnsiConsole.MarkupLine($"  [yellow]{Markup.Escape($"other programs used {result.OutsideCores:0.00} of the {Environment.ProcessorCount} cores during this run: its figures are low")}[/]");
        }

        foreach (var problem in result.Problems)
        {
            AnsiConsole.MarkupLine($"  [red]{Markup.Escape(problem)}[/]");
        }
    }

    public static void WriteResults(string title, IReadOnlyList<ScenarioResult> results, IReadOnlyList<TargetCheck> targets)
    {
        var table = new Table().Title(Markup.Escape(title)).Caption(Markup.Escape(ResultsTable.GeneratorNote(results))).Border(TableBorder.Rounded);
        foreach (var column in ResultsTable.Columns)
        {
            table.AddColumn(new TableColumn(Markup.Escape(column)).RightAligned());
        }

        foreach (var row in ResultsTable.Rows(results))
        {
            table.AddRow([.. row.Select(Markup.Escape)]);
        }

        AnsiConsole.Write(table);

        var ratios = new Table().Title("Lockout / Identity and Lockout / baseline").Border(TableBorder.Rounded);
        foreach (var column in ResultsTable.RatioColumns)
        {
            ratios.AddColumn(new TableColumn(Markup.Escape(column)).RightAligned());
        }

        foreach (var row in ResultsTable.RatioRows(results))
        {
            ratios.AddRow([.. row.Select(Markup.Escape)]);
        }

        AnsiConsole.Write(ratios);

        if (targets.Count > 0)
        {
            var checks = new Table().Title("Targets (issues 5 and 15)").Border(TableBorder.Rounded).AddColumns("Target", "Measured", "Met");
            foreach (var target in targets)
            {
                checks.AddRow(Markup.Escape(target.Target), Markup.Escape(target.Figure), target.Met switch
                {
                    true => "[green]met[/]",
                    false => "[red]not met[/]",
                    null => "–",
                });
            }

            AnsiConsole.Write(checks);
        }
    }
}

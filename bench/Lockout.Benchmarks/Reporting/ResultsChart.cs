using Lockout.Benchmarks.Scenarios;
using Lockout.Benchmarks.Systems;
using ScottPlot;

namespace Lockout.Benchmarks.Reporting;

/// <summary>
/// <c>{name}.png</c>: requests per second (log scale: the systems differ by orders of magnitude) and p99
/// latency, Lockout beside ASP.NET Core Identity and the baseline, per scenario.
/// </summary>
internal static class ResultsChart
{
    private static readonly Color LockoutColor = Color.FromHex("#1f77b4");
    private static readonly Color IdentityColor = Color.FromHex("#d62728");
    private static readonly Color BaselineColor = Color.FromHex("#ff7f0e");
    private static readonly Color CeilingColor = Color.FromHex("#7f7f7f");

    public static string Write(string directory, HashSetting hash, MachineInfo machine, IReadOnlyList<ScenarioResult> results)
    {
        // HTTP runs only: the outbox drain measures events, not requests.
        results = [.. results.Where(result => double.IsFinite(result.P99Ms))];
        var scenarios = results.Select(result => result.Scenario).Distinct().ToList();
        var multiplot = new Multiplot();
        multiplot.AddPlots(2);

        var throughput = multiplot.GetPlot(0);
        AddBars(throughput, scenarios, results, result => Math.Log10(Math.Max(1, result.RequestsPerSecond)), result => $"{result.RequestsPerSecond:N0}");
        throughput.Axes.Left.TickGenerator = LogTicks(value => Math.Pow(10, value));
        throughput.Title($"Lockout vs ASP.NET Core Identity and a synchronous-DB baseline — {hash.Label}{GeneratorLine(results)}");
        throughput.YLabel("requests/s (log scale)");

        var latency = multiplot.GetPlot(1);
        AddBars(latency, scenarios, results, result => Math.Log10(Math.Max(0.1, result.P99Ms)) + 1, result => $"{result.P99Ms:0.0}");
        latency.Axes.Left.TickGenerator = LogTicks(value => Math.Pow(10, value - 1));
        latency.Title($"p99 latency · {machine}");
        latency.YLabel("p99 ms (log scale)");

        var path = Path.Combine(directory, hash.Name + ".png");
        multiplot.SavePng(path, 1400, 1000);
        return path;
    }

    // Which runs wrk drove, when it drove any: the built-in generator's numbers are capped lower.
    private static string GeneratorLine(IReadOnlyList<ScenarioResult> results)
    {
        var wrk = results.Where(result => result.Generator == Load.LoadGenerator.Wrk).Select(result => result.Scenario).Distinct().ToList();
        var rest = results.Any(result => result.Generator == Load.LoadGenerator.Builtin) ? "; the rest by the built-in generator" : "";
        return wrk.Count == 0 ? "" : $"\nload by wrk: {string.Join(", ", wrk)}{rest}";
    }

    // Bars carry log10 of the value (shifted so every bar starts at the axis); ticks label the real value.
    private static ScottPlot.TickGenerators.NumericAutomatic LogTicks(Func<double, double> label) => new()
    {
        MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
        IntegerTicksOnly = true,
        LabelFormatter = value => label(value) is var real && real < 1 ? $"{real:0.#}" : $"{real:N0}",
    };

    private static void AddBars(Plot plot, List<string> scenarios, IReadOnlyList<ScenarioResult> results, Func<ScenarioResult, double> value, Func<ScenarioResult, string> label)
    {
        var bars = new List<Bar>();
        for (var i = 0; i < scenarios.Count; i++)
        {
            foreach (var (system, offset, color) in new[] { ("Lockout", -0.28, LockoutColor), (IdentitySystem.SystemName, 0.0, IdentityColor), ("Baseline", 0.28, BaselineColor), (CeilingSystem.SystemName, 0.0, CeilingColor) })
            {
                if (results.FirstOrDefault(result => result.Scenario == scenarios[i] && result.System == system) is { } result)
                {
                    bars.Add(new Bar { Position = i + offset, Value = value(result), FillColor = color, Size = 0.27, Label = label(result) });
                }
            }
        }

        plot.Add.Bars(bars);
        plot.Axes.Bottom.SetTicks([.. Enumerable.Range(0, scenarios.Count).Select(i => (double)i)], [.. scenarios]);
        plot.Axes.Margins(bottom: 0, top: 0.3); // room for the legend above the tallest bar
        plot.Legend.IsVisible = true;
        plot.Legend.Alignment = Alignment.UpperRight;
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "Lockout", FillColor = LockoutColor });
        if (results.Any(result => result.System == IdentitySystem.SystemName))
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = "ASP.NET Core Identity (EF Core, PostgreSQL)", FillColor = IdentityColor });
        }

        if (results.Any(result => result.System == "Baseline"))
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = "Baseline (hand-made, atomic DB write per request)", FillColor = BaselineColor });
        }
        if (results.Any(result => result.System == CeilingSystem.SystemName))
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = "Reference: bare Kestrel + one Redis Lua call", FillColor = CeilingColor });
        }
    }
}

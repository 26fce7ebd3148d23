using System.Globalization;
using Lockout.Benchmarks.Scenarios;

namespace Lockout.Benchmarks.Reporting;

/// <summary>One of the targets, with the figure this run measured. <c>Met</c> is null when not measured.</summary>
internal sealed record TargetCheck(string Target, string Figure, bool? Met)
{
    /// <summary>The targets, for the runs present in <paramref name="results"/>.</summary>
    public static IReadOnlyList<TargetCheck> Evaluate(IReadOnlyList<ScenarioResult> results, BenchmarkOptions options)
    {
        List<TargetCheck> checks = [];
        var hot1000 = Pair(results, "hot c=1000");
        var hot100 = Pair(results, "hot c=100");
        var wave = Pair(results, "wave");
        var steady = results.FirstOrDefault(result => result.System == "Lockout" && result.Scenario.StartsWith("steady", StringComparison.Ordinal));

        var ceiling = results.FirstOrDefault(result => result.System == Systems.CeilingSystem.SystemName);
        if (hot1000.Lockout is { } hot)
        {
            var reference = ceiling is null ? "" : $" (reference bare Kestrel + 1 Lua call: {ceiling.RequestsPerSecond:N0} req/s)";
            checks.Add(new("Hot account, 1,000 clients: Lockout ≥ 25,000 req/s", $"{hot.RequestsPerSecond:N0} req/s{reference}", hot.RequestsPerSecond >= 25_000));
            if (hot1000.Identity is { } identity)
            {
                var ratio = hot.RequestsPerSecond / identity.RequestsPerSecond;
                checks.Add(new("Hot account, 1,000 clients: ≥ 10× ASP.NET Core Identity", $"{ratio:N1}× ({identity.RequestsPerSecond:N0} req/s Identity)", ratio >= 10));
            }

            if (hot1000.Baseline is { } baseline)
            {
                var ratio = hot.RequestsPerSecond / baseline.RequestsPerSecond;
                checks.Add(new("Hot account, 1,000 clients: ≥ 10× the baseline", $"{ratio:N1}× ({baseline.RequestsPerSecond:N0} req/s baseline)", ratio >= 10));
            }

            var others = string.Concat(new[] { hot1000.Identity, hot1000.Baseline }.OfType<ScenarioResult>().Select(other => $", {other.System} {other.MaxVerificationsPerAccount}"));
            checks.Add(new(
                "Hot account, 1,000 clients: Lockout verifies exactly 5 passwords",
                $"Lockout {hot.MaxVerificationsPerAccount}{others}",
                hot.MaxVerificationsPerAccount == 5));
        }

        var mixed = Pair(results, "mixed");
        if (mixed.Lockout is { } ordinary && mixed.Identity is { } identityMixed)
        {
            var ratio = ordinary.RequestsPerSecond / identityMixed.RequestsPerSecond;
            checks.Add(new(
                "Mixed traffic: Lockout ≥ 1.0× Identity's rate, p99 no worse (issue 15; with pipeline hashing)",
                string.Create(CultureInfo.InvariantCulture, $"{ratio:0.00}× ({ordinary.RequestsPerSecond:N0} against {identityMixed.RequestsPerSecond:N0} req/s); p99 {ordinary.P99Ms:0.0} against {identityMixed.P99Ms:0.0} ms"),
                ratio >= 1.0 && ordinary.P99Ms <= identityMixed.P99Ms));
        }

        if (hot100.Lockout is { } hundred)
        {
            checks.Add(new("Hot account, 100 clients: Lockout p99 ≤ 10 ms", $"p99 {hundred.P99Ms:0.0} ms", hundred.P99Ms <= 10));
        }

        var backlog = results.FirstOrDefault(result => result.Scenario.StartsWith("writer backlog", StringComparison.Ordinal));
        if (backlog is not null)
        {
            checks.Add(new(
                "Writer applies ≥ 20,000 lock events/s (a wave's locks waiting in Kafka for a stopped writer)",
                $"{backlog.RequestsPerSecond:N0}/s from its release to the last row, peak {backlog.PeakLocksPerSecond:N0} in one second",
                !double.IsNaN(backlog.RequestsPerSecond) && backlog.RequestsPerSecond >= 20_000 && backlog.Problems.Count == 0));
            checks.Add(new(
                "Writer catches up ≤ 10 s with a wave's backlog",
                $"{backlog.CatchUpSeconds:0.0} s after it was let go (rejoining the group included)",
                backlog.CatchUpSeconds <= 10 && backlog.Problems.Count == 0));
        }

        var drain = results.FirstOrDefault(result => result.Scenario.StartsWith("outbox drain", StringComparison.Ordinal));
        if (drain is not null)
        {
            checks.Add(new(
                "Outbox drain: relay and writer together, a wave's locks appended at once (no target; the writer's share of two cores)",
                $"{drain.RequestsPerSecond:N0}/s from the first append to the last row, peak {drain.PeakLocksPerSecond:N0} in one second",
                null));
            checks.Add(new(
                "Writer catches up ≤ 10 s after the burst (outbox drain)",
                $"{drain.CatchUpSeconds:0.0} s after the last append",
                drain.CatchUpSeconds <= 10 && drain.Problems.Count == 0));
        }

        if (wave.Lockout is { } stuffing)
        {
            checks.Add(new(
                "Wave: writer catches up ≤ 10 s after the wave's end",
                $"{stuffing.CatchUpSeconds:0.00} s (locks arrived at ≤ {stuffing.PeakLocksPerSecond:N0}/s: the API, not the writer, set the pace)",
                stuffing.CatchUpSeconds <= 10));
            var expected = options.WaveAccounts;
            var intact = stuffing.LockRows == expected && stuffing.LockedAccounts == expected;
            checks.Add(new(
                "Wave: no lock event lost or duplicated (rows = accounts locked)",
                string.Create(CultureInfo.InvariantCulture, $"{stuffing.LockRows:N0} events, {stuffing.LockedAccounts:N0} USERS locked, {expected:N0} accounts"),
                intact));
        }

        if (steady is not null)
        {
            var steadyEnough = steady.RequestsPerSecond >= options.LockRate * 0.95;
            checks.Add(new(
                $"End-to-end lock latency p99 ≤ 250 ms at a steady {options.LockRate:N0} locks/s",
                $"p99 {steady.LockLatencyP99Ms:0} ms (p50 {steady.LockLatencyP50Ms:0} ms) at {steady.RequestsPerSecond:N0} locks/s",
                steady.LockLatencyP99Ms <= 250 && steadyEnough));
        }

        return checks;
    }

    private static (ScenarioResult? Lockout, ScenarioResult? Identity, ScenarioResult? Baseline) Pair(IReadOnlyList<ScenarioResult> results, string scenario) =>
        (results.FirstOrDefault(result => result.Scenario == scenario && result.System == "Lockout"),
         results.FirstOrDefault(result => result.Scenario == scenario && result.System == Systems.IdentitySystem.SystemName),
         results.FirstOrDefault(result => result.Scenario == scenario && result.System == "Baseline"));
}

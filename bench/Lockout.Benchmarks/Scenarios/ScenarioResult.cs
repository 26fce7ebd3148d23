using Lockout.Benchmarks.Measurement;

namespace Lockout.Benchmarks.Scenarios;

/// <summary>One system's numbers for one scenario run.</summary>
/// <param name="Generator">What drove the load: builtin, wrk, or none (<see cref="Load.LoadGenerator"/>); results written before it was recorded were all builtin.</param>
/// <param name="Throttled">Answers 429 (Lockout's source throttle); 0 in results written before it was recorded.</param>
/// <param name="RedisCommandsPerSecond">Commands Lockout's Redis served during the run, for the systems that use it (0 for the others, and in results written before it was recorded).</param>
internal sealed record ScenarioResult(
    string Hashing,
    string Scenario,
    string System,
    int Clients,
    long Requests,
    double MeasuredSeconds,
    double RequestsPerSecond,
    double P50Ms,
    double P99Ms,
    double P999Ms,
    long Ok,
    long Unauthorized,
    long Locked,
    long OtherStatus,
    long Errors,
    long Verifications,
    long MaxVerificationsPerAccount,
    double DbTransactionsPerSecond,
    double DbRowWritesPerSecond,
    long LockedAccounts,
    long LockRows,
    long PeakLocksPerSecond,
    double CatchUpSeconds,
    double? LockLatencyP50Ms,
    double? LockLatencyP99Ms,
    IReadOnlyList<RoleUsage> Resources,
    double MachineCores,
    double OutsideCores,
    IReadOnlyList<string> Problems,
    IReadOnlyList<string> Notes,
    string Generator = Load.LoadGenerator.Builtin,
    double RedisCommandsPerSecond = 0,
    long Throttled = 0)
{
    /// <summary>The system's own processes: Lockout's API, writer and Redis (every instance); Identity's, the baseline's or the ceiling's one process.</summary>
    public IEnumerable<RoleUsage> ServiceUsage => Resources.Where(usage => System switch
    {
        // Several instances of a part are api-0, api-1, ...: all of them are Lockout's.
        "Lockout" or Systems.LockoutSystem.SmartName => Systems.LockoutScale.RoleOf(usage.Role) is "api" or "writer" or "redis",
        "Identity" => usage.Role == "identity",
        "Baseline" => usage.Role == "baseline",
        _ => usage.Role == "ceiling",
    });

    public double ServiceMemoryMiB => ServiceUsage.Sum(usage => usage.PeakMemoryMiB);

    public double ServiceCores => ServiceUsage.Sum(usage => usage.Cores);

    public RoleUsage? Usage(string role) => Resources.FirstOrDefault(usage => usage.Role == role);
}

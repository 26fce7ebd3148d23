using System.Globalization;

namespace Lockout.Benchmarks.Systems;

/// <summary>
/// How many of each part the benchmark's Lockout runs: the AppHost's <c>Scale</c> section, under the AppHost's own
/// resource names (one part of a kind is <c>api</c>; several are <c>api-0</c>, <c>api-1</c>, ...).
/// </summary>
internal sealed record LockoutScale(int ApiInstances, int Writers, int RedisShards)
{
    public static readonly LockoutScale Single = new(1, 1, 1);

    public bool IsSingle => this == Single;

    /// <summary>The AppHost's command-line arguments for this scale.</summary>
    public IEnumerable<string> AppHostArguments =>
    [
        Argument("ApiReplicas", ApiInstances),
        Argument("WriterReplicas", Writers),
        Argument("RedisShards", RedisShards),
    ];

    public IReadOnlyList<string> ApiNames => InstanceNames("api", ApiInstances);

    public IReadOnlyList<string> WriterNames => InstanceNames("writer", Writers);

    public IReadOnlyList<string> RedisNames => InstanceNames("redis", RedisShards);

    public override string ToString() => $"{ApiInstances} API instance(s), {Writers} writer(s), {RedisShards} Redis shard(s)";

    /// <summary>
    /// The role an instance belongs to: <c>api</c> for <c>api-1</c>; the role itself for a role without instances
    /// (<c>postgres</c>, <c>bench</c>).
    /// </summary>
    public static string RoleOf(string instance) =>
        instance.LastIndexOf('-') is var dash and > 0 && instance[(dash + 1)..].All(char.IsAsciiDigit) ? instance[..dash] : instance;

    private static string Argument(string key, int count) => $"--Scale:{key}={count.ToString(CultureInfo.InvariantCulture)}";

    // As the AppHost names them (LockoutServiceExtensions.InstanceNames; the Redis Cluster's nodes likewise).
    private static string[] InstanceNames(string name, int count) =>
        count == 1 ? [name] : [.. Enumerable.Range(0, count).Select(index => $"{name}-{index.ToString(CultureInfo.InvariantCulture)}")];
}

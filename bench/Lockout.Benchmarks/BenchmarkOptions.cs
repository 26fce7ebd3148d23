using System.Globalization;

namespace Lockout.Benchmarks;

/// <summary>How hard passwords are to verify in a run.</summary>
/// <param name="Name">pipeline or product.</param>
/// <param name="IterationCount">PasswordHasher (Identity v3, PBKDF2-HMAC-SHA512) iterations.</param>
internal sealed record HashSetting(string Name, int IterationCount, string Label)
{
    /// <summary>ASP.NET Core Identity's default: about 66 ms a hash on one core of the reference machine.</summary>
    public static readonly HashSetting Product = new("product", 100_000, "product default: Identity v3, 100,000 iterations");

    /// <summary>One iteration: hashing all but free, so the numbers are the pipeline's. Never for production.</summary>
    public static readonly HashSetting Pipeline = new("pipeline", 1, "BENCH-ONLY pipeline setting: 1 iteration");
}

/// <summary>The command line: <c>[--smoke] [--hash pipeline|product|both] [--scenario hot,wave,mixed,steady] ...</c>.</summary>
internal sealed record BenchmarkOptions
{
    /// <summary>The scenarios of source throttling and Smart mode (issue 9), run on Lockout in both policy modes.</summary>
    public static readonly string[] SourceScenarios = ["stuffing", "stuffing-sources", "targeted", "fastpath"];

    /// <summary>
    /// Every scenario, in the order they run. faults restarts Lockout's processes, so it comes after the runs that
    /// measure them; memory needs none of the systems (a redis-server of its own) and runs before they start.
    /// </summary>
    public static readonly string[] AllScenarios = ["memory", "ceiling", "hot", "wave", "drain", "backlog", "mixed", "steady", .. SourceScenarios, "faults"];

    /// <summary><c>--policy</c>: Lockout's modes to start, one after the other; Smart mode runs only <see cref="SourceScenarios"/>.</summary>
    public IReadOnlyList<Systems.LockoutPolicyMode> Policies { get; init; } = [Systems.LockoutPolicyMode.Account, Systems.LockoutPolicyMode.Smart];

    /// <summary>Sources of the many-source stuffing, sharing the wave's accounts between them.</summary>
    public int StuffingSources { get; init; } = 1000;

    /// <summary>Sources of the targeted attack on one account.</summary>
    public int TargetedSources { get; init; } = 1000;

    public bool Smoke { get; init; }

    public IReadOnlyList<HashSetting> Hashes { get; init; } = [HashSetting.Pipeline];

    /// <summary>Null: every scenario with pipeline hashing; hot and mixed with product hashing (the others need thousands of hashes a second).</summary>
    public IReadOnlyList<string>? Scenarios { get; init; }

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(15);

    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(3);

    public IReadOnlyList<int> HotClients { get; init; } = [1, 10, 100, 1000];

    public int WaveAccounts { get; init; } = 100_000;

    public int WaveClients { get; init; } = 256;

    public int MixedAccounts { get; init; } = 10_000;

    public int MixedClients { get; init; } = 100;

    public double LockRate { get; init; } = 1000;

    public TimeSpan SteadyDuration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Accounts the memory scenario fills Redis with (the issue's one million).</summary>
    public int MemoryAccounts { get; init; } = 1_000_000;

    /// <summary>The fault scenario's timings: the issue's (10 s pause, 30 s broker outage), or the smoke's seconds.</summary>
    public global::Lockout.Benchmarks.Scenarios.FaultTimings FaultTimings { get; init; } = global::Lockout.Benchmarks.Scenarios.FaultTimings.Full;

    /// <summary>How long to wait for Lockout's writer to commit a run's locks before calling them lost.</summary>
    public TimeSpan CatchUpTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Wait for PostgreSQL to publish its counters before and after a run (skipped by the smoke run).</summary>
    public TimeSpan StatsDelay { get; init; } = Measurement.DatabaseActivity.PublishDelay;

    public required string OutputDirectory { get; init; }

    /// <summary>Services write perf maps so a profiler (<c>perf</c>) can name JIT-compiled frames.</summary>
    public bool PerfMap { get; init; }

    /// <summary>Before each run, how long to wait for other programs to leave the CPU alone (zero: don't wait).</summary>
    public TimeSpan QuietWait { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>Extra environment for Lockout's API, to try runtime settings (e.g. <c>DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0</c>).</summary>
    public IReadOnlyDictionary<string, string> ApiEnvironment { get; init; } = new Dictionary<string, string>();

    /// <summary>Extra environment for Lockout's writer (e.g. a Kafka consumer setting under trial).</summary>
    public IReadOnlyDictionary<string, string> WriterEnvironment { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// <c>--api-instances</c>, <c>--writers</c>, <c>--redis-shards</c>: how many of each part Lockout's AppHost starts
    /// (its <c>Scale</c> section); the memory scenario's Redis gets the same shards.
    /// </summary>
    public Systems.LockoutScale Scale { get; init; } = Systems.LockoutScale.Single;

    /// <summary>Write the tables, targets and chart again from this results JSON instead of running.</summary>
    public string? RenderFrom { get; init; }

    /// <summary>Start, warm up and lock a hot account on both systems, then wait for Ctrl+C (for profiling by hand).</summary>
    public bool Hold { get; init; }

    /// <summary><c>--generator</c>: what drives the closed-loop, fixed-duration runs (ceiling, hot); null: wrk when it is on PATH.</summary>
    public string? Generator { get; init; }

    /// <summary>
    /// wrk or builtin, for the ceiling and hot runs (one static request, closed-loop, fixed time). The other runs need
    /// a request plan per account or pacing, which only the built-in generator has.
    /// </summary>
    public string ClosedLoopGenerator => Generator ?? (Load.WrkRun.FindOnPath() is null ? Load.LoadGenerator.Builtin : Load.LoadGenerator.Wrk);

    public IReadOnlyList<string> ScenariosFor(HashSetting hash) =>
        Scenarios ?? (hash == HashSetting.Product ? ["hot", "mixed"] : AllScenarios);

    /// <summary>What a pass with Lockout in <paramref name="mode"/> runs: Smart mode only the source scenarios.</summary>
    public IReadOnlyList<string> ScenariosFor(HashSetting hash, Systems.LockoutPolicyMode mode) =>
        mode == Systems.LockoutPolicyMode.Account ? ScenariosFor(hash) : [.. ScenariosFor(hash).Intersect(SourceScenarios)];

    public static BenchmarkOptions Parse(string[] args, string repositoryRoot)
    {
        var smoke = args.Contains("--smoke");
        string[] flags = ["--smoke", "--perf-map", "--hold"];
        var options = smoke
            ? new BenchmarkOptions
            {
                Smoke = true,
                // A second per run (wrk's shortest), so even the slowest (the baseline with one client) gets past
                // the guess budget when CI shares the machine.
                Duration = TimeSpan.FromSeconds(1),
                Warmup = TimeSpan.FromSeconds(1),
                WaveAccounts = 200,
                WaveClients = 32,
                MixedAccounts = 100,
                MixedClients = 16,
                StuffingSources = 10,
                TargetedSources = 20,
                LockRate = 400,
                SteadyDuration = TimeSpan.FromSeconds(0.5),
                MemoryAccounts = 1000,
                FaultTimings = global::Lockout.Benchmarks.Scenarios.FaultTimings.Smoke,
                CatchUpTimeout = TimeSpan.FromSeconds(30),
                StatsDelay = TimeSpan.Zero,
                QuietWait = TimeSpan.Zero,
                OutputDirectory = Path.Combine(repositoryRoot, "bench", "results", "tmp", "smoke"),
            }
            : new BenchmarkOptions { OutputDirectory = Path.Combine(repositoryRoot, "bench", "results") };

        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (flags.Contains(name))
            {
                options = name switch
                {
                    "--perf-map" => options with { PerfMap = true },
                    "--hold" => options with { Hold = true },
                    _ => options,
                };
                continue;
            }

            if (i + 1 >= args.Length)
            {
                throw new ArgumentException($"{name} needs a value.");
            }

            var value = args[++i];
            options = name switch
            {
                "--hash" => options with { Hashes = ParseHashes(value) },
                "--scenario" or "--scenarios" => options with { Scenarios = ParseScenarios(value) },
                "--duration" => options with { Duration = Seconds(value) },
                "--warmup" => options with { Warmup = Seconds(value) },
                "--clients" => options with { HotClients = [.. value.Split(',').Select(Integer)] },
                "--wave-accounts" => options with { WaveAccounts = Integer(value) },
                "--wave-clients" => options with { WaveClients = Integer(value) },
                "--mixed-accounts" => options with { MixedAccounts = Integer(value) },
                "--mixed-clients" => options with { MixedClients = Integer(value) },
                "--lock-rate" => options with { LockRate = Integer(value) },
                "--steady-seconds" => options with { SteadyDuration = Seconds(value) },
                "--memory-accounts" => options with { MemoryAccounts = Integer(value) },
                "--out" => options with { OutputDirectory = Path.GetFullPath(value) },
                "--quiet-wait" => options with { QuietWait = Seconds(value) },
                "--render" => options with { RenderFrom = Path.GetFullPath(value) },
                "--api-env" => options with { ApiEnvironment = WithVariable(options.ApiEnvironment, value) },
                "--writer-env" => options with { WriterEnvironment = WithVariable(options.WriterEnvironment, value) },
                "--generator" => options with { Generator = ParseGenerator(value) },
                "--policy" => options with { Policies = ParsePolicies(value) },
                "--stuffing-sources" => options with { StuffingSources = Integer(value) },
                "--targeted-sources" => options with { TargetedSources = Integer(value) },
                "--api-instances" => options with { Scale = options.Scale with { ApiInstances = Count(name, value) } },
                "--writers" => options with { Scale = options.Scale with { Writers = Count(name, value) } },
                "--redis-shards" => options with { Scale = options.Scale with { RedisShards = Count(name, value) } },
                _ => throw new ArgumentException($"Unknown option {name}."),
            };
        }

        if (!options.Scale.IsSingle && (options.Scenarios ?? AllScenarios).Intersect(["faults"]).Any())
        {
            // The fault injector breaks and restarts "api", "writer" and "redis" by name.
            throw new ArgumentException("--scenario faults runs on one instance of each part: leave out --api-instances, --writers and --redis-shards, or choose other scenarios.");
        }

        return options;
    }

    private static int Count(string name, string value) =>
        Integer(value) is var count and >= 1 and <= 16 ? count : throw new ArgumentException($"{name} is a whole number from 1 to 16.");

    private static List<HashSetting> ParseHashes(string value) => value switch
    {
        "pipeline" => [HashSetting.Pipeline],
        "product" => [HashSetting.Product],
        "both" => [HashSetting.Pipeline, HashSetting.Product],
        _ => throw new ArgumentException("--hash is pipeline, product or both."),
    };

    private static List<Systems.LockoutPolicyMode> ParsePolicies(string value) => value switch
    {
        "account" => [Systems.LockoutPolicyMode.Account],
        "smart" => [Systems.LockoutPolicyMode.Smart],
        "both" => [Systems.LockoutPolicyMode.Account, Systems.LockoutPolicyMode.Smart],
        _ => throw new ArgumentException("--policy is account, smart or both."),
    };

    private static string ParseGenerator(string value) => value switch
    {
        Load.LoadGenerator.Builtin => value,
        Load.LoadGenerator.Wrk when Load.WrkRun.FindOnPath() is null => throw new ArgumentException("--generator wrk: no wrk on PATH (Debian: apt-get install -y wrk)."),
        Load.LoadGenerator.Wrk => value,
        _ => throw new ArgumentException("--generator is wrk or builtin."),
    };

    private static List<string> ParseScenarios(string value)
    {
        var scenarios = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        var unknown = scenarios.Except(AllScenarios).ToList();
        return unknown.Count == 0 ? scenarios : throw new ArgumentException($"Unknown scenario(s) {string.Join(", ", unknown)}; known: {string.Join(", ", AllScenarios)}.");
    }

    private static Dictionary<string, string> WithVariable(IReadOnlyDictionary<string, string> variables, string assignment) =>
        new(variables) { [assignment.Split('=', 2)[0]] = assignment.Split('=', 2).ElementAtOrDefault(1) ?? "" };

    private static int Integer(string value) => int.Parse(value, NumberStyles.Integer, CultureInfo.InvariantCulture);

    private static TimeSpan Seconds(string value) => TimeSpan.FromSeconds(double.Parse(value, CultureInfo.InvariantCulture));

    public const string Usage = """
        Usage: dotnet run -c Release --project bench/Lockout.Benchmarks -- [options]
          --smoke                      seconds-long run of every scenario (CI); results to bench/results/tmp/smoke
          --hash pipeline|product|both password hashing: pipeline = 1 PBKDF2 iteration (BENCH-ONLY), product = 100,000
          --scenario memory,ceiling,hot,wave,drain,backlog,mixed,steady,stuffing,stuffing-sources,targeted,fastpath,faults
                                       (ceiling: bare Kestrel + one Redis Lua call, the reference point;
                                       drain: a wave's LOCKED events appended to the outbox at once, relay and writer together;
                                       backlog: the same with the writer stopped until all are in Kafka: the writer alone;
                                       memory: Redis bytes per account with failures and per locked account, own redis-server;
                                       stuffing: the wave's accounts x 6 different wrong passwords from one source, not
                                       allow-listed; stuffing-sources: the same from many sources (X-Forwarded-For);
                                       targeted: many sources on one account while its owner signs in every second;
                                       fastpath: the hot account with the source checks off (allow-listed) and on;
                                       faults: Lockout under steady logins while Redis, Kafka, PostgreSQL, the writer and
                                       the API fail in turn: 503s, recovery, locks lost or duplicated)
          --policy account|smart|both  Lockout's policy mode(s), one after the other (default both); Smart mode runs
                                       only the source scenarios (stuffing, stuffing-sources, targeted; fastpath is
                                       Account mode's hot account)
          --stuffing-sources N --targeted-sources N   sources of the many-source stuffing and the targeted attack
          --duration S  --warmup S     timed runs (hot, mixed): measured seconds after warm-up seconds
          --clients 1,10,100,1000      hot-account client counts
          --generator wrk|builtin      what drives the ceiling and hot runs (default: wrk when on PATH); the others always
                                       use the built-in generator (per-account plans, pacing)
          --wave-accounts N --wave-clients N --mixed-accounts N --mixed-clients N
          --lock-rate N --steady-seconds S   paced locks per second, for how long
          --memory-accounts N          accounts the memory scenario fills Redis with (default 1,000,000)
          --out DIR                    where results go (default bench/results)
          --quiet-wait S               before each run, wait up to S s for other programs to stop using the CPU (default 90; smoke 0)
          --api-instances N --writers N --redis-shards N   Lockout's scale (the AppHost's --Scale:ApiReplicas, WriterReplicas,
                                       RedisShards; default 1 each): the load spreads its connections over the API
                                       instances' own ports (as a client-side balancer would; wrk runs go to the first);
                                       CPU and memory are reported per instance (api-0, writer-1, redis-2, ...); the
                                       memory scenario's Redis is a cluster of the same shards; not with faults
          --api-env KEY=VALUE          extra environment for Lockout's API (try runtime settings); repeatable
          --writer-env KEY=VALUE       the same for Lockout's writer
          --perf-map                   services write perf maps (DOTNET_PerfMapEnabled=1), for profiling with perf
          --hold                       start the systems, lock a hot account and seed the mixed accounts on each, wait
                                       for Ctrl+C (profile by hand with wrk-login.lua, wrk-mixed.lua)
          --render RESULTS.json        write a run's tables, targets and chart again from its JSON
        """;
}

using System.Net;
using Lockout.Benchmarks.Load;
using Lockout.Benchmarks.Systems;

namespace Lockout.Benchmarks.Scenarios;

/// <summary>The scenarios, as runs both systems go through.</summary>
internal static class ScenarioCatalog
{
    public static IEnumerable<RunSpec> Create(string scenario, BenchmarkOptions options, PasswordSet passwords) => scenario switch
    {
        "ceiling" => [Ceiling(options, passwords)],
        "hot" => options.HotClients.Select(clients => HotAccount(options, passwords, clients)),
        "wave" => [CredentialStuffingWave(options, passwords)],
        "mixed" => [MixedLogins(options, passwords)],
        "steady" => [SteadyLockRate(options, passwords)],
        _ => throw new ArgumentOutOfRangeException(nameof(scenario), scenario, "Unknown scenario."),
    };

    /// <summary>The reference endpoint under the hot account's heaviest load: what this box, generator included, can do.</summary>
    public static RunSpec Ceiling(BenchmarkOptions options, PasswordSet passwords)
    {
        var clients = options.HotClients.Max();
        var accounts = new AccountSet("ceiling", 1, passwords);
        return new RunSpec($"ceiling c={clients}", clients, accounts, RepeatedWrongPassword(options, accounts, clients), Requests: null, ExpectedLocks: 0);
    }

    /// <summary>C clients send wrong passwords to one account for a fixed time.</summary>
    public static RunSpec HotAccount(BenchmarkOptions options, PasswordSet passwords, int clients)
    {
        var accounts = new AccountSet($"hot-c{clients}", 1, passwords);
        return new RunSpec($"hot c={clients}", clients, accounts, RepeatedWrongPassword(options, accounts, clients), Requests: null, ExpectedLocks: 1);
    }

    /// <summary>
    /// One account's wrong password, closed-loop, for the warm-up and the measured time: one static request, so wrk can
    /// send it (<c>--generator</c>), else the built-in generator.
    /// </summary>
    private static Func<IPEndPoint, ILoadRun> RepeatedWrongPassword(BenchmarkOptions options, AccountSet accounts, int clients)
    {
        if (options.ClosedLoopGenerator == LoadGenerator.Wrk)
        {
            var body = LoginRequest.EncodeBody(accounts.Username(0), accounts.Passwords.Wrong);
            return endpoint => WrkRun.ClosedLoop(endpoint, body, clients, options.Duration, options.Warmup);
        }

        var request = accounts.EncodeAll(correctPassword: false)[0];
        return endpoint => LoadRun.ClosedLoop(endpoint, new RepeatedRequestPlan(request), clients, options.Duration, options.Warmup, trackedAccounts: 1);
    }

    /// <summary>
    /// Every account gets 6 wrong attempts as fast as the system answers, in rounds: each account once, then each
    /// again. The fifth round locks every account within a few seconds — the writer's heaviest load.
    /// </summary>
    public static RunSpec CredentialStuffingWave(BenchmarkOptions options, PasswordSet passwords)
    {
        const int attempts = 6;
        var accounts = new AccountSet("wave", options.WaveAccounts, passwords);
        var requests = accounts.EncodeAll(correctPassword: false);
        return new RunSpec(
            "wave",
            options.WaveClients,
            accounts,
            endpoint => LoadRun.ClosedLoop(
                endpoint,
                new SequenceRequestPlan(accounts.Count * attempts, i => new LoginRequest(requests[i % accounts.Count], i % accounts.Count)),
                options.WaveClients,
                duration: null,
                trackedAccounts: accounts.Count),
            Requests: accounts.Count * (long)attempts,
            ExpectedLocks: accounts.Count);
    }

    /// <summary>Ordinary traffic: random accounts, 95% right passwords, 5% wrong.</summary>
    public static RunSpec MixedLogins(BenchmarkOptions options, PasswordSet passwords)
    {
        var accounts = new AccountSet("mixed", options.MixedAccounts, passwords);
        var correct = accounts.EncodeAll(correctPassword: true);
        var wrong = accounts.EncodeAll(correctPassword: false);
        return new RunSpec(
            "mixed",
            options.MixedClients,
            accounts,
            endpoint => LoadRun.ClosedLoop(endpoint, new RandomLoginPlan(correct, wrong, wrongShare: 0.05), options.MixedClients, options.Duration, options.Warmup, accounts.Count),
            Requests: null,
            ExpectedLocks: 0);
    }

    /// <summary>
    /// Locks at a steady rate, open-loop: each account has already failed four times (unmeasured), and its fifth
    /// failure is sent on schedule. Measures decision-to-committed-row latency when the writer is not flooded.
    /// </summary>
    public static RunSpec SteadyLockRate(BenchmarkOptions options, PasswordSet passwords)
    {
        var accounts = new AccountSet("steady", (int)(options.LockRate * options.SteadyDuration.TotalSeconds), passwords);
        var requests = accounts.EncodeAll(correctPassword: false);
        var priorFailures = accounts.Count * (LockoutSystem.GuessBudget - 1);
        const int connections = 64;
        return new RunSpec(
            $"steady {options.LockRate:0} locks/s",
            connections,
            accounts,
            endpoint => LoadRun.Paced(
                endpoint,
                new SequenceRequestPlan(accounts.Count, i => new LoginRequest(requests[i], i)),
                connections,
                options.LockRate,
                accounts.Count),
            Requests: accounts.Count,
            ExpectedLocks: accounts.Count,
            Prepare: endpoint => LoadRun.ClosedLoop(
                endpoint,
                new SequenceRequestPlan(priorFailures, i => new LoginRequest(requests[i % accounts.Count], i % accounts.Count)),
                connections,
                duration: null,
                trackedAccounts: accounts.Count),
            PrepareRequests: priorFailures);
    }
}

using System.Net;
using Lockout.Benchmarks.Load;
using Lockout.Benchmarks.Systems;

namespace Lockout.Benchmarks.Scenarios;

/// <summary>The issue's scenarios, as runs both systems go through.</summary>
internal static class ScenarioCatalog
{
    public static IEnumerable<RunSpec> Create(string scenario, BenchmarkOptions options, PasswordSet passwords) => scenario switch
    {
        "ceiling" => [Ceiling(options, passwords)],
        "hot" => options.HotClients.Select(clients => HotAccount(options, passwords, clients)),
        "wave" => [CredentialStuffingWave(options, passwords)],
        "mixed" => [MixedLogins(options, passwords)],
        "steady" => [SteadyLockRate(options, passwords)],
        "stuffing" => [Stuffing(options, passwords, sources: 1)],
        "stuffing-sources" => [Stuffing(options, passwords, options.StuffingSources)],
        "targeted" => [TargetedAttack(options, passwords)],
        "fastpath" => [FastPath(options, passwords, sourceChecks: false), FastPath(options, passwords, sourceChecks: true)],
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
    private static Func<IPEndPoint, ILoadRun> RepeatedWrongPassword(BenchmarkOptions options, AccountSet accounts, int clients, string? forwardedFor = null)
    {
        if (options.ClosedLoopGenerator == LoadGenerator.Wrk)
        {
            var body = LoginRequest.EncodeBody(accounts.Username(0), accounts.Passwords.Wrong);
            return endpoint => WrkRun.ClosedLoop(endpoint, body, clients, options.Duration, options.Warmup, forwardedFor);
        }

        var request = LoginRequest.Encode(accounts.Username(0), accounts.Passwords.Wrong, forwardedFor);
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

    // Each scenario below claims its own documentation-range sources (DocumentationSources), so that one scenario's
    // throttled sources, which Lockout remembers for the throttle's hour, do not meet another's.
    private const int StuffingSourceOffset = 0;
    private const int TargetedSourceOffset = 3000;
    private const int FastPathSourceOffset = 6000;

    private static bool IsLockout(ILoginSystem system) => system is LockoutSystem;

    /// <summary>
    /// Credential stuffing through the source throttle (not allow-listed): <paramref name="sources"/> sources, each
    /// working through its share of the wave's accounts one account at a time with six different wrong passwords (a
    /// list attack: the repeated-password rule cannot help), the sources interleaved, as fast as answered. One source:
    /// the wave from one address; many: the same accounts spread over as many addresses (X-Forwarded-For). Lockout only:
    /// Identity and the baseline have no source throttle, so their figures for this load are the wave's.
    /// </summary>
    public static RunSpec Stuffing(BenchmarkOptions options, PasswordSet passwords, int sources)
    {
        const int attempts = 6;
        var accounts = new AccountSet(sources == 1 ? "stuff1" : "stuffn", options.WaveAccounts, passwords);
        var perSource = accounts.Count / sources;
        // The one source and the many are different addresses: the one stays throttled for the throttle's window.
        var addresses = Enumerable.Range(sources == 1 ? StuffingSourceOffset : StuffingSourceOffset + 1, sources).Select(DocumentationSources.Address).ToArray();
        var total = sources * perSource * attempts;
        return new RunSpec(
            sources == 1 ? "stuffing, 1 source" : $"stuffing, {sources:N0} sources",
            options.WaveClients,
            accounts,
            endpoint => LoadRun.ClosedLoop(
                endpoint,
                new SequenceRequestPlan(total, i =>
                {
                    var source = i % sources;
                    var step = i / sources;
                    var account = (source * perSource) + (step / attempts);
                    var password = $"{passwords.Wrong}{step % attempts}";
                    return new LoginRequest(LoginRequest.Encode(accounts.Username(account), password, addresses[source]), account);
                }),
                options.WaveClients,
                duration: null,
                trackedAccounts: accounts.Count),
            Requests: total,
            ExpectedLocks: null,
            Sources: addresses,
            SystemFilter: IsLockout);
    }

    /// <summary>
    /// A distributed attack on one account: <see cref="BenchmarkOptions.TargetedSources"/> sources (X-Forwarded-For),
    /// each with its own wrong passwords (none repeated), closed-loop for the run's time, while the account's owner
    /// signs in once a second, paced, with the right password from the source it signed in from just before the attack
    /// (familiar), its first sign-in during the attack a second after it began.
    /// </summary>
    public static RunSpec TargetedAttack(BenchmarkOptions options, PasswordSet passwords)
    {
        var sources = options.TargetedSources;
        var accounts = new AccountSet("targeted", 1, passwords);
        var attackers = Enumerable.Range(TargetedSourceOffset + 1, sources).Select(DocumentationSources.Address).ToArray();
        var owner = DocumentationSources.Address(TargetedSourceOffset);
        var ownerLogin = LoginRequest.Encode(accounts.Username(0), passwords.Correct, owner);
        var clients = Math.Min(sources, options.HotClients.Max());
        var ownerLogins = Math.Max(1, (int)Math.Ceiling((options.Warmup + options.Duration).TotalSeconds) - 1);
        return new RunSpec(
            $"targeted, {sources:N0} sources + owner",
            clients,
            accounts,
            endpoint => new TargetedAttackRun(
                endpoint,
                ownerLogin,
                LoadRun.ClosedLoop(
                    endpoint,
                    new SequenceRequestPlan(int.MaxValue, i => new LoginRequest(
                        LoginRequest.Encode(accounts.Username(0), $"{passwords.Wrong}{i / sources}-{i % sources}", attackers[i % sources]), 0)),
                    clients,
                    options.Duration,
                    options.Warmup,
                    trackedAccounts: 1),
                LoadRun.Paced(endpoint, new SequenceRequestPlan(ownerLogins, _ => new LoginRequest(ownerLogin, 0)), 1, perSecond: 1, trackedAccounts: 1)),
            Requests: null,
            ExpectedLocks: null,
            Sources: [owner, .. attackers]);
    }

    /// <summary>
    /// The hot account (the heaviest client count) with the source checks off — the source on the throttle's
    /// allow-list, as in the account-budget scenarios — or on: a documentation-range source, checked like any client.
    /// Both claim their source through X-Forwarded-For, so both pay for reading the header. Account mode only: in Smart
    /// mode one repeated wrong password is answered 401 unverified (from Redis) and a source is blocked only for the
    /// account, so the run would measure the repeated-password rule, not the hot account's refusal from memory.
    /// </summary>
    public static RunSpec FastPath(BenchmarkOptions options, PasswordSet passwords, bool sourceChecks)
    {
        var clients = options.HotClients.Max();
        var accounts = new AccountSet(sourceChecks ? "fast-on" : "fast-off", 1, passwords);
        // 127.0.0.2: loopback, on the allow-list the benchmark gives the API; the other, a documentation address.
        var source = sourceChecks ? DocumentationSources.Address(FastPathSourceOffset) : "127.0.0.2";
        return new RunSpec(
            $"fastpath c={clients}, source checks {(sourceChecks ? "on" : "off (allow-listed)")}",
            clients,
            accounts,
            RepeatedWrongPassword(options, accounts, clients, source),
            Requests: null,
            ExpectedLocks: null,
            Sources: [source],
            SystemFilter: system => system is LockoutSystem { Mode: LockoutPolicyMode.Account });
    }
}

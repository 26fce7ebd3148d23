using System.Net;
using Lockout.Benchmarks.Load;
using Lockout.Benchmarks.Systems;

namespace Lockout.Benchmarks.Scenarios;

/// <summary>One scenario run, the same for both systems.</summary>
/// <param name="Scenario">Its label in the results, e.g. <c>hot c=1000</c>.</param>
/// <param name="CreateLoad">The measured load against a system's endpoint.</param>
/// <param name="Requests">How many requests the load sends; null for a timed load.</param>
/// <param name="ExpectedLocks">Accounts the load must lock; the audit waits for their lock rows. Null: as many as the
/// policy decides (a source throttle, Smart mode), the audit waits until its decisions are recorded.</param>
/// <param name="Prepare">Unmeasured load first (the steady run's first four failures per account).</param>
/// <param name="Sources">The client addresses the load claims through <c>X-Forwarded-For</c>; null when it claims none.</param>
/// <param name="SystemFilter">Which systems the run is meaningful on; null: every login system.</param>
internal sealed record RunSpec(
    string Scenario,
    int Clients,
    AccountSet Accounts,
    Func<IPEndPoint, ILoadRun> CreateLoad,
    long? Requests,
    int? ExpectedLocks,
    Func<IPEndPoint, LoadRun>? Prepare = null,
    long PrepareRequests = 0,
    IReadOnlyList<string>? Sources = null,
    Func<ILoginSystem, bool>? SystemFilter = null);

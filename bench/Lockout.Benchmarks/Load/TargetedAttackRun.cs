using System.Net;

namespace Lockout.Benchmarks.Load;

/// <summary>
/// The targeted attack: the attackers' closed-loop run on one account and, beside it, its owner's paced sign-ins. The
/// owner signs in once before the attack (so its source is familiar), then once a second from a second into it. The
/// outcome is the attack's; the owner's answers are in its notes, and a refused owner is a problem where the policy
/// promises otherwise (<see cref="OwnerMustSignIn"/>).
/// </summary>
internal sealed class TargetedAttackRun(IPEndPoint endpoint, byte[] ownerLogin, LoadRun attack, LoadRun owner) : ILoadRun
{
    private static readonly TimeSpan OwnerDelay = TimeSpan.FromSeconds(1);

    public TimeSpan Elapsed => attack.Elapsed;

    public long? Answered => attack.Answered;

    public string Generator => attack.Generator;

    /// <summary>Whether every owner's sign-in must succeed (Lockout in Smart mode); set by the session per system.</summary>
    public bool OwnerMustSignIn { get; set; }

    public async Task<LoadOutcome> RunAsync(CancellationToken cancellationToken)
    {
        using (var connection = await HttpLoginConnection.OpenAsync(endpoint, cancellationToken))
        {
            var before = await connection.SendAsync(ownerLogin);
            if (before != 200)
            {
                throw new InvalidOperationException($"The owner's sign-in before the attack was answered {before}.");
            }
        }

        var attacking = attack.RunAsync(cancellationToken);
        await Task.Delay(OwnerDelay, cancellationToken);
        var signingIn = owner.RunAsync(cancellationToken);
        var outcome = await attacking;
        var ownerOutcome = await signingIn;

        var ownerAnswers = ownerOutcome.Ok + ownerOutcome.Unauthorized + ownerOutcome.Locked + ownerOutcome.Throttled + ownerOutcome.OtherStatus;
        var note = $"owner (familiar source, right password, 1/s during the attack): {ownerOutcome.Ok} of {ownerAnswers} signed in (200), {ownerOutcome.Locked} refused (423), {ownerOutcome.Throttled} throttled (429), {ownerOutcome.Errors} failed; latency p99 {ownerOutcome.Latency.P99Ms:0.0} ms";
        List<string> problems = [];
        if (OwnerMustSignIn && (ownerOutcome.Ok != ownerAnswers || ownerAnswers == 0 || ownerOutcome.Errors > 0))
        {
            problems.Add($"The owner was not let in throughout: {note}.");
        }

        return outcome with { Notes = [.. outcome.Notes, note], Problems = [.. outcome.Problems, .. problems] };
    }
}

using System.Diagnostics.Metrics;
using Lockout.Api.Redis;
using Lockout.Api.Services;
using Lockout.Events;
using Microsoft.Extensions.Options;

namespace Lockout.Api.Telemetry;

/// <summary>The API's OpenTelemetry instruments (meter <c>Lockout.Api</c>).</summary>
public sealed class LockoutApiMetrics
{
    public const string MeterName = "Lockout.Api";

    private readonly Counter<long> _loginAttempts;
    private readonly Counter<long> _passwordVerifications;
    private readonly Counter<long> _locks;
    private readonly Counter<long> _unlocks;
    private readonly Counter<long> _relayed;
    private readonly Counter<long> _produceFailures;
    private readonly Counter<long> _parked;
    private readonly Counter<long> _decisions;
    private long _outboxDepth;

    public LockoutApiMetrics(IMeterFactory meterFactory, IOptions<LockoutRedisOptions> redisOptions)
    {
        var meter = meterFactory.Create(MeterName);
        _loginAttempts = meter.CreateCounter<long>("lockout.login.attempts", "{attempt}", "Login attempts answered, by outcome.");
        _passwordVerifications = meter.CreateCounter<long>("lockout.password.verifications", "{verification}", "Passwords verified (the guess budget spent).");
        _locks = meter.CreateCounter<long>("lockout.locks", "{lock}", "Accounts locked in Redis.");
        _unlocks = meter.CreateCounter<long>("lockout.unlocks", "{unlock}", "Accounts unlocked by an admin.");
        _relayed = meter.CreateCounter<long>("lockout.outbox.relayed", "{event}", "Lock events Kafka acknowledged.");
        _produceFailures = meter.CreateCounter<long>("lockout.outbox.produce_failures", "{event}", "Lock events Kafka did not acknowledge; they stay in the outbox and are retried.");
        _decisions = meter.CreateCounter<long>("lockout.decisions", "{decision}", "Decisions taken in Redis, by kind (the event types: LOCKED, SOURCE_BLOCKED, SOURCE_THROTTLED, …).");
        _parked = meter.CreateCounter<long>("lockout.outbox.parked", "{event}", "Outbox entries Kafka refused for good, parked in Redis with the reason.");
        meter.CreateObservableGauge("lockout.outbox.depth", () => Volatile.Read(ref _outboxDepth), "{event}", "Lock events waiting in Redis to reach Kafka (in the buckets this instance's relay drains).");
        var capacity = redisOptions.Value.OutboxCapacity;
        meter.CreateObservableGauge("lockout.outbox.capacity", () => capacity, "{event}", "Lock events the outbox may hold; at the capacity, decisions that would add one get 503.");
    }

    public void LoginAttempted(LoginOutcome outcome) =>
        _loginAttempts.Add(1, new KeyValuePair<string, object?>("outcome", OutcomeName(outcome)));

    public void PasswordVerified() => _passwordVerifications.Add(1);

    public void AccountLocked() => _locks.Add(1);

    public void AccountUnlocked() => _unlocks.Add(1);

    public void EventsRelayed(int count) => _relayed.Add(count);

    public void ProduceFailed(int count) => _produceFailures.Add(count);

    public void EntryParked() => _parked.Add(1);

    public void Decided(LockoutEventType decision) => _decisions.Add(1, new KeyValuePair<string, object?>("decision", decision.Name()));

    public void OutboxDepthObserved(long depth) => Volatile.Write(ref _outboxDepth, depth);

    public static string OutcomeName(LoginOutcome outcome) => outcome switch
    {
        LoginOutcome.Success => "success",
        LoginOutcome.InvalidCredentials => "invalid_credentials",
        LoginOutcome.Locked => "locked",
        LoginOutcome.Throttled => "throttled",
        _ => throw new ArgumentOutOfRangeException(nameof(outcome)),
    };
}

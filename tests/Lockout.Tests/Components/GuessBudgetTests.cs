using Lockout.Api.Outbox;
using Lockout.Api.Redis;
using Lockout.Api.Services;
using Lockout.Tests.Infrastructure;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace Lockout.Tests.Components;

/// <summary>The guess budget's rules, on real Redis, with a fake clock.</summary>
public sealed class GuessBudgetTests(LocalInfrastructureFixture infrastructure) : IAsyncLifetime
{
    private static readonly LockoutPolicy Policy = new()
    {
        MaxFailedAttempts = 5,
        FailureWindow = TimeSpan.FromMinutes(15),
        ReservationLease = TimeSpan.FromSeconds(30),
    };

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));
    private TestEnvironment _environment = null!;

    public async ValueTask InitializeAsync() => _environment = await infrastructure.CreateEnvironmentAsync();

    public ValueTask DisposeAsync() => _environment.DisposeAsync();

    [Fact]
    public async Task A_failure_is_forgotten_once_the_window_has_passed_since_it()
    {
        var budget = Budget();
        var user = NewUser();
        await FailAsync(budget, user, 3);
        _clock.Advance(TimeSpan.FromMinutes(10));
        await FailAsync(budget, user, 1);

        _clock.Advance(TimeSpan.FromMinutes(5) + Margin);

        Assert.Equal(1, (await budget.ReadAsync(user)).FailedAttempts);
    }

    [Fact]
    public async Task The_failure_that_fills_the_budget_locks_and_queues_exactly_one_event()
    {
        var budget = Budget();
        var user = NewUser();

        var outcomes = new List<FailureStatus>();
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            var reservation = await budget.ReserveAsync(user, Source);
            outcomes.Add((await budget.RecordFailureAsync(reservation, knownUser: true, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")).Status);
        }

        Assert.Equal([FailureStatus.Counted, FailureStatus.Counted, FailureStatus.Counted, FailureStatus.Counted, FailureStatus.LockedNow], outcomes);
        Assert.Equal(ReservationStatus.Locked, (await budget.ReserveAsync(user, Source)).Status);
        var entry = Assert.Single(await Database.StreamRangeAsync(Keyspace.Account(user).Outbox));
        Assert.True(LockoutOutbox.TryParse(entry, out var message));
        Assert.Equal((user, 5), (message.Event.Username, message.Event.Attempts));
        // The scripts take the time from Redis, moved by the fake clock's distance from the system clock.
        Assert.InRange(message.Event.OccurredAt, _clock.GetUtcNow().AddSeconds(-5), _clock.GetUtcNow().AddSeconds(5));
        Assert.Equal("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", message.TraceParent);
    }

    [Fact]
    public async Task Attempts_in_flight_count_against_the_budget()
    {
        var budget = Budget();
        var user = NewUser();
        await FailAsync(budget, user, 3);

        var first = await budget.ReserveAsync(user, Source);
        var second = await budget.ReserveAsync(user, Source);
        var third = await budget.ReserveAsync(user, Source);

        Assert.Equal(ReservationStatus.Reserved, first.Status);
        Assert.Equal(ReservationStatus.Reserved, second.Status);
        Assert.Equal(ReservationStatus.BudgetExhausted, third.Status);
    }

    [Fact]
    public async Task An_abandoned_reservation_gives_its_slot_back_when_its_lease_runs_out()
    {
        var budget = Budget();
        var user = NewUser();
        for (var i = 0; i < 5; i++)
        {
            await budget.ReserveAsync(user, Source); // never settled: the requests died
        }

        Assert.Equal(ReservationStatus.BudgetExhausted, (await budget.ReserveAsync(user, Source)).Status);
        _clock.Advance(Policy.ReservationLease + Margin);

        Assert.Equal(ReservationStatus.Reserved, (await budget.ReserveAsync(user, Source)).Status);
    }

    [Fact]
    public async Task A_right_password_resets_the_count_but_never_unlocks()
    {
        var budget = Budget();
        var user = NewUser();
        await FailAsync(budget, user, 4);
        Assert.True(await budget.RecordSuccessAsync(await budget.ReserveAsync(user, Source)));
        Assert.Equal(0, (await budget.ReadAsync(user)).FailedAttempts);

        await FailAsync(budget, user, 4);
        var pending = await budget.ReserveAsync(user, Source);
        await FailAsync(budget, user, 0);
        var last = await budget.ReserveAsync(user, Source);
        Assert.Equal(ReservationStatus.BudgetExhausted, last.Status);
        Assert.Equal(FailureStatus.LockedNow, (await budget.RecordFailureAsync(pending, knownUser: true, null)).Status);

        Assert.False(await budget.RecordSuccessAsync(await budget.ReserveAsync(user, Source)));
        Assert.True((await budget.ReadAsync(user)).Locked);
    }

    [Fact]
    public async Task A_timed_lock_ends_after_its_duration_with_a_whole_budget()
    {
        var budget = Budget(new LockoutPolicy
        {
            MaxFailedAttempts = Policy.MaxFailedAttempts,
            FailureWindow = Policy.FailureWindow,
            ReservationLease = Policy.ReservationLease,
            LockDuration = TimeSpan.FromMinutes(30),
        });
        var user = NewUser();
        await FailAsync(budget, user, 5);
        Assert.Equal(ReservationStatus.Locked, (await budget.ReserveAsync(user, Source)).Status);

        _clock.Advance(TimeSpan.FromMinutes(30) + Margin);

        var reservation = await budget.ReserveAsync(user, Source);
        Assert.Equal((ReservationStatus.Reserved, 0), (reservation.Status, reservation.Failures));
    }

    [Fact]
    public async Task An_instance_whose_clock_is_an_hour_behind_redis_still_says_when_a_timed_lock_ends()
    {
        // Redis decides on its own clock (no shift); this instance's clock is an hour behind it. The lock's end the
        // login answers with must be 30 minutes from the instance's now, not from Redis's (which is 90 from it).
        var instanceClock = new FakeTimeProvider(TimeProvider.System.GetUtcNow() - TimeSpan.FromHours(1));
        var policy = new LockoutPolicy
        {
            MaxFailedAttempts = Policy.MaxFailedAttempts,
            FailureWindow = Policy.FailureWindow,
            ReservationLease = Policy.ReservationLease,
            LockDuration = TimeSpan.FromMinutes(30),
        };
        var budget = Budget(policy, new RedisClock(TimeProvider.System), instanceClock);
        var user = NewUser();
        await FailAsync(budget, user, 4);

        var lockingFailure = await budget.RecordFailureAsync(await budget.ReserveAsync(user, Source), knownUser: true, null);
        var refusal = await budget.ReserveAsync(user, Source);

        Assert.Equal(FailureStatus.LockedNow, lockingFailure.Status);
        Assert.Equal(ReservationStatus.Locked, refusal.Status);
        var expected = instanceClock.GetUtcNow() + TimeSpan.FromMinutes(30);
        Assert.InRange(lockingFailure.LockedUntil!.Value, expected - TimeSpan.FromMinutes(1), expected);
        Assert.InRange(refusal.LockedUntil!.Value, expected - TimeSpan.FromMinutes(1), expected);
    }

    [Fact]
    public async Task An_unlock_clears_the_lock_and_gets_a_newer_version_even_after_redis_lost_the_account()
    {
        var budget = Budget();
        var user = NewUser();
        await FailAsync(budget, user, 5);
        var lockVersion = (await budget.ReadAsync(user)).Version;

        var unlockVersion = await budget.UnlockAsync(user, "test", null);
        await Database.KeyDeleteAsync(Keyspace.Account(user).State);
        var afterLoss = await budget.UnlockAsync(user, "test", null);

        Assert.True(unlockVersion > lockVersion);
        Assert.False((await budget.ReadAsync(user)).Locked);
        Assert.True(afterLoss >= _clock.GetUtcNow().ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task A_database_lock_is_adopted_only_when_it_is_newer_than_what_redis_decided()
    {
        var budget = Budget();
        var user = NewUser();
        var newer = await budget.ReserveAsync(user, Source);
        await budget.AdoptDatabaseLockAsync(newer, null, version: 10);
        Assert.True((await budget.ReadAsync(user)).Locked);

        var other = NewUser();
        await budget.UnlockAsync(other, "test", null); // Redis now knows a decision newer than version 10
        var older = await budget.ReserveAsync(other, Source);
        await budget.AdoptDatabaseLockAsync(older, null, version: 10);
        Assert.False((await budget.ReadAsync(other)).Locked);
    }

    [Fact]
    public async Task Scripts_still_run_after_the_server_forgot_them()
    {
        var budget = Budget();
        var user = NewUser();
        await FailAsync(budget, user, 1);

        // As after a Redis restart: the client's EVALSHA gets NOSCRIPT, and it loads the script again.
        await _environment.Redis.GetServers()[0].ScriptFlushAsync();

        await FailAsync(budget, user, 1);
        Assert.Equal(2, (await budget.ReadAsync(user)).FailedAttempts);
    }

    private IDatabase Database => _environment.Redis.GetDatabase(ConfigurationOptions.Parse(_environment.RedisConnectionString).DefaultDatabase ?? 0);

    private const string Source = "192.0.2.1";

    // The scripts read Redis's clock, moved by the fake clock's distance from the system clock; real time still passes
    // between two calls (milliseconds, more on a loaded machine), so a step past a boundary goes a second past it.
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(1);

    private static LockoutKeyspace Keyspace { get; } = new(Options.Create(new LockoutRedisOptions()));

    private GuessBudget Budget(LockoutPolicy? policy = null) => Budget(policy ?? Policy, new RedisClock(_clock), _clock);

    private GuessBudget Budget(LockoutPolicy policy, RedisClock redisClock, TimeProvider instanceClock)
    {
        var redisOptions = Options.Create(new LockoutRedisOptions());
        return new(new RedisScripts(_environment.Redis, redisOptions), Keyspace, Options.Create(policy), redisOptions, redisClock, instanceClock);
    }

    private static string NewUser() => TestEnvironment.NewUsername("budget").ToUpperInvariant();

    private static async Task FailAsync(GuessBudget budget, string user, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var reservation = await budget.ReserveAsync(user, Source);
            Assert.Equal(ReservationStatus.Reserved, reservation.Status);
            await budget.RecordFailureAsync(reservation, knownUser: true, null);
        }
    }
}

using Lockout.Api.Services;
using Microsoft.Extensions.Time.Testing;

namespace Lockout.UnitTests.Api;

public sealed class LockedAccountCacheTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void A_timed_lock_is_remembered_with_its_end_and_forgotten_when_it_ends()
    {
        using var cache = new LockedAccountCache(_clock);
        var end = _clock.GetUtcNow().AddMilliseconds(400);

        cache.Remember("JOHN", "", end);

        Assert.True(cache.IsLocked("JOHN", "", out var lockedUntil));
        Assert.Equal(end, lockedUntil);
        _clock.Advance(TimeSpan.FromMilliseconds(400));
        Assert.False(cache.IsLocked("JOHN", "", out _));
    }

    [Fact]
    public void A_lock_until_an_admin_unlocks_is_remembered_without_an_end_for_a_second()
    {
        using var cache = new LockedAccountCache(_clock);

        cache.Remember("JOHN", "", lockedUntil: null);

        Assert.True(cache.IsLocked("JOHN", "", out var lockedUntil));
        Assert.Null(lockedUntil);
        _clock.Advance(LockedAccountCache.Lifetime);
        Assert.False(cache.IsLocked("JOHN", "", out _));
    }

    [Fact]
    public void A_refusal_for_one_source_does_not_refuse_another_and_an_unlock_here_voids_all_of_the_accounts()
    {
        using var cache = new LockedAccountCache(_clock);

        cache.Remember("JOHN", "192.0.2.1", lockedUntil: null);
        cache.Remember("JOHN", "192.0.2.2", lockedUntil: null);

        Assert.True(cache.IsLocked("JOHN", "192.0.2.1", out _));
        Assert.False(cache.IsLocked("JOHN", "198.51.100.7", out _));
        cache.Forget("JOHN");
        Assert.False(cache.IsLocked("JOHN", "192.0.2.1", out _));
        Assert.False(cache.IsLocked("JOHN", "192.0.2.2", out _));

        _clock.Advance(TimeSpan.FromMilliseconds(1));
        cache.Remember("JOHN", "192.0.2.1", lockedUntil: null);
        Assert.True(cache.IsLocked("JOHN", "192.0.2.1", out _));
    }
}

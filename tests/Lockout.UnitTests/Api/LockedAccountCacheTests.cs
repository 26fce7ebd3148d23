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

        cache.Remember("JOHN", end);

        Assert.True(cache.IsLocked("JOHN", out var lockedUntil));
        Assert.Equal(end, lockedUntil);
        _clock.Advance(TimeSpan.FromMilliseconds(400));
        Assert.False(cache.IsLocked("JOHN", out _));
    }

    [Fact]
    public void A_lock_until_an_admin_unlocks_is_remembered_without_an_end_for_a_second()
    {
        using var cache = new LockedAccountCache(_clock);

        cache.Remember("JOHN", lockedUntil: null);

        Assert.True(cache.IsLocked("JOHN", out var lockedUntil));
        Assert.Null(lockedUntil);
        _clock.Advance(LockedAccountCache.Lifetime);
        Assert.False(cache.IsLocked("JOHN", out _));
    }
}

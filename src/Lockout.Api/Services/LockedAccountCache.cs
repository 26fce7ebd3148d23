using Microsoft.Extensions.Caching.Memory;

namespace Lockout.Api.Services;

/// <summary>
/// Accounts this process has just seen locked, remembered for a second so that a flood of attempts on a locked
/// account is refused without even a Redis round trip.
/// </summary>
/// <remarks>
/// It only ever refuses, so it cannot let an extra password through. The price: an unlock made through
/// another API instance takes effect here up to <see cref="Lifetime"/> later (an unlock through this instance
/// takes effect at once), and a timed lock is never remembered past its end.
/// </remarks>
public sealed class LockedAccountCache(TimeProvider clock) : IDisposable
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(1);

    // Stands for "no end" in the cache, which keeps a value type per entry.
    private static readonly DateTimeOffset UntilUnlocked = DateTimeOffset.MaxValue;

    // Bounded: a credential-stuffing wave locks many accounts, each remembered only for a moment.
    private readonly MemoryCache _locked = new(new MemoryCacheOptions { SizeLimit = 100_000, Clock = new TimeProviderClock(clock) });

    /// <param name="lockedUntil">The end of a timed lock; null when the lock lasts until an admin unlocks.</param>
    public bool IsLocked(string normalizedUsername, out DateTimeOffset? lockedUntil)
    {
        if (_locked.TryGetValue(normalizedUsername, out DateTimeOffset end))
        {
            lockedUntil = end == UntilUnlocked ? null : end;
            return true;
        }

        lockedUntil = null;
        return false;
    }

    public void Remember(string normalizedUsername, DateTimeOffset? lockedUntil)
    {
        var expires = clock.GetUtcNow() + Lifetime;
        if (lockedUntil is { } until && until < expires)
        {
            expires = until;
        }

        _locked.Set(normalizedUsername, lockedUntil ?? UntilUnlocked, new MemoryCacheEntryOptions { AbsoluteExpiration = expires, Size = 1 });
    }

    public void Forget(string normalizedUsername) => _locked.Remove(normalizedUsername);

    public void Dispose() => _locked.Dispose();

    // The cache decides expiry on the same clock the entries' ends are computed with.
    private sealed class TimeProviderClock(TimeProvider clock) : Microsoft.Extensions.Internal.ISystemClock
    {
        public DateTimeOffset UtcNow => clock.GetUtcNow();
    }
}

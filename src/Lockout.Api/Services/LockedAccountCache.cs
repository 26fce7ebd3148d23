using Microsoft.Extensions.Caching.Memory;

namespace Lockout.Api.Services;

/// <summary>
/// Accounts this process has just seen locked, remembered for a second so that a flood of attempts on a locked
/// account is refused without even a Redis round trip.
/// </summary>
/// <remarks>
/// It only ever refuses, so it cannot let an extra password through. The price: an unlock made through
/// another API instance takes effect here up to <see cref="Lifetime"/> later (an unlock through this instance
/// takes effect at once), and a timed lock is never remembered past its end. In Smart mode a refusal holds for one
/// source only (the account stays open to familiar sources), so entries are per account and source.
/// </remarks>
public sealed class LockedAccountCache(TimeProvider clock) : IDisposable
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(1);

    // Stands for "no end" in the cache, which keeps a value type per entry.
    private static readonly DateTimeOffset UntilUnlocked = DateTimeOffset.MaxValue;

    // Bounded: a credential-stuffing wave locks many accounts, each remembered only for a moment.
    private readonly MemoryCache _locked = new(new MemoryCacheOptions { SizeLimit = 100_000, Clock = new TimeProviderClock(clock) });

    // Accounts unlocked here within the last Lifetime: what was remembered of them before is void.
    private readonly MemoryCache _unlocked = new(new MemoryCacheOptions { SizeLimit = 100_000, Clock = new TimeProviderClock(clock) });

    /// <param name="scope">What the refusal is for within the account: empty for all, a source in Smart mode.</param>
    /// <param name="lockedUntil">The end of a timed lock; null when the lock lasts until an admin unlocks.</param>
    public bool IsLocked(string normalizedUsername, string scope, out DateTimeOffset? lockedUntil)
    {
        lockedUntil = null;
        if (!_locked.TryGetValue(Key(normalizedUsername, scope), out Remembered remembered)
            || (_unlocked.TryGetValue(normalizedUsername, out DateTimeOffset unlockedAt) && unlockedAt >= remembered.At))
        {
            return false;
        }

        lockedUntil = remembered.Until == UntilUnlocked ? null : remembered.Until;
        return true;
    }

    public void Remember(string normalizedUsername, string scope, DateTimeOffset? lockedUntil)
    {
        var now = clock.GetUtcNow();
        var expires = now + Lifetime;
        if (lockedUntil is { } until && until < expires)
        {
            expires = until;
        }

        _locked.Set(Key(normalizedUsername, scope), new Remembered(lockedUntil ?? UntilUnlocked, now), new MemoryCacheEntryOptions { AbsoluteExpiration = expires, Size = 1 });
    }

    /// <summary>The account was unlocked here: nothing remembered of it refuses any more.</summary>
    public void Forget(string normalizedUsername) =>
        _unlocked.Set(normalizedUsername, clock.GetUtcNow(), new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = Lifetime, Size = 1 });

    /// <summary>One source's block on the account was lifted here.</summary>
    public void Forget(string normalizedUsername, string scope) => _locked.Remove(Key(normalizedUsername, scope));

    public void Dispose()
    {
        _locked.Dispose();
        _unlocked.Dispose();
    }

    private static string Key(string normalizedUsername, string scope) => scope.Length == 0 ? normalizedUsername : $"{normalizedUsername}|{scope}";

    private readonly record struct Remembered(DateTimeOffset Until, DateTimeOffset At);
}

/// <summary>Makes a memory cache decide expiry on the injected clock (a test's fake one included).</summary>
internal sealed class TimeProviderClock(TimeProvider clock) : Microsoft.Extensions.Internal.ISystemClock
{
    public DateTimeOffset UtcNow => clock.GetUtcNow();
}

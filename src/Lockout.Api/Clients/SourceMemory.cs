using Lockout.Api.Services;
using Microsoft.Extensions.Caching.Memory;

namespace Lockout.Api.Clients;

/// <summary>
/// What this process has just learnt of sources, so that most requests need no Redis round trip to check their source:
/// throttled ones until their throttle ends (at most <see cref="MaxLifetime"/>), answered 429 from memory; and, for a
/// second, ones far below their limit, whose throttle need not be checked before the account is looked at.
/// </summary>
/// <remarks>
/// Neither memory lets a guess through: every verification still reserves a slot of its source's budget in Redis
/// (<see cref="SourceThrottle.ReserveAsync"/>). The price: a throttle lifted through another API instance takes effect
/// here up to <see cref="MaxLifetime"/> later, and a source another instance has just pushed over its limit may have
/// one request per second look at an account (and give its reservation back) before it is answered 429.
/// </remarks>
public sealed class SourceMemory(TimeProvider clock) : IDisposable
{
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan HeadroomLifetime = TimeSpan.FromSeconds(1);

    private readonly MemoryCache _throttled = new(new MemoryCacheOptions { SizeLimit = 100_000, Clock = new TimeProviderClock(clock) });
    private readonly MemoryCache _headroom = new(new MemoryCacheOptions { SizeLimit = 100_000, Clock = new TimeProviderClock(clock) });

    /// <summary>When the source may try again, if it is remembered as throttled.</summary>
    public DateTimeOffset? ThrottledUntil(string source) =>
        _throttled.TryGetValue(source, out DateTimeOffset until) && until > clock.GetUtcNow() ? until : null;

    public void RememberThrottled(string source, TimeSpan retryAfter)
    {
        var now = clock.GetUtcNow();
        _headroom.Remove(source);
        _throttled.Set(source, now + retryAfter, new MemoryCacheEntryOptions
        {
            AbsoluteExpiration = now + (retryAfter < MaxLifetime ? retryAfter : MaxLifetime),
            Size = 1,
        });
    }

    /// <summary>True when the source was seen, within a second, with less than half its failure limit used.</summary>
    public bool HasHeadroom(string source) => _headroom.TryGetValue(source, out _);

    public void RememberFailures(string source, int failures, int limit)
    {
        if (failures * 2 < limit)
        {
            _headroom.Set(source, true, new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = HeadroomLifetime, Size = 1 });
        }
        else
        {
            _headroom.Remove(source);
        }
    }

    public void Forget(string source)
    {
        _throttled.Remove(source);
        _headroom.Remove(source);
    }

    public void Dispose()
    {
        _throttled.Dispose();
        _headroom.Dispose();
    }
}

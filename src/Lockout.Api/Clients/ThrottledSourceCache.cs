using Microsoft.Extensions.Caching.Memory;

namespace Lockout.Api.Clients;

/// <summary>
/// Sources this process has just seen throttled, until their throttle ends (at most a few seconds): a flood from a
/// throttled source is answered 429 without a Redis round trip.
/// </summary>
/// <remarks>
/// It only ever refuses, and only for as long as Redis said. The price: a throttle lifted through another API instance
/// takes effect here up to <see cref="MaxLifetime"/> later.
/// </remarks>
public sealed class ThrottledSourceCache(TimeProvider clock) : IDisposable
{
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromSeconds(5);

    private readonly MemoryCache _throttled = new(new MemoryCacheOptions { SizeLimit = 100_000 });

    /// <summary>When the source may try again, if it is remembered as throttled.</summary>
    public DateTimeOffset? ThrottledUntil(string source) =>
        _throttled.TryGetValue(source, out DateTimeOffset until) && until > clock.GetUtcNow() ? until : null;

    public void Remember(string source, TimeSpan retryAfter)
    {
        var now = clock.GetUtcNow();
        _throttled.Set(source, now + retryAfter, new MemoryCacheEntryOptions
        {
            AbsoluteExpiration = now + (retryAfter < MaxLifetime ? retryAfter : MaxLifetime),
            Size = 1,
        });
    }

    public void Forget(string source) => _throttled.Remove(source);

    public void Dispose() => _throttled.Dispose();
}

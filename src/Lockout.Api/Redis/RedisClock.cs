namespace Lockout.Api.Redis;

/// <summary>
/// The scripts take the time from Redis (<c>TIME</c>), so API instances whose clocks disagree still decide on one
/// clock. What they add to it: nothing with the system clock. With another <see cref="TimeProvider"/> (a test's fake
/// clock), where it started relative to the system clock plus how far it has been moved since: Redis's time keeps
/// flowing (so order within a test is real), and the fake clock's advances move it.
/// </summary>
public sealed class RedisClock(TimeProvider clock)
{
    private readonly DateTimeOffset _origin = clock.GetUtcNow();
    private readonly TimeSpan _offset = clock.GetUtcNow() - TimeProvider.System.GetUtcNow();

    public long Shift() =>
        ReferenceEquals(clock, TimeProvider.System) ? 0 : (long)(clock.GetUtcNow() - _origin + _offset).TotalMilliseconds;
}
